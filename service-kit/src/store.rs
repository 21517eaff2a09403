//! Store helpers the services share.

/// The service's Ed25519 secret seed under `key` in `tree`: generated on first use, then
/// read back. Written with compare-and-swap, so two processes starting at once cannot end
/// with two keys, and flushed before it is used to sign anything.
pub fn load_or_create_seed(
    db: &sled::Db,
    tree: &sled::Tree,
    key: &[u8],
) -> Result<[u8; 32], String> {
    let corrupt = || "stored signing key is corrupt".to_owned();
    if let Some(existing) = tree.get(key).map_err(|e| e.to_string())? {
        return existing.as_ref().try_into().map_err(|_| corrupt());
    }
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    match tree
        .compare_and_swap(key, None as Option<&[u8]>, Some(&seed[..]))
        .map_err(|e| e.to_string())?
    {
        Ok(()) => {
            db.flush().map_err(|e| e.to_string())?;
            Ok(seed)
        }
        Err(current) => current
            .current
            .as_deref()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(corrupt),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_seed_is_made_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("seed-test-{}", std::process::id()));
        let first = {
            let db = sled::open(&dir).unwrap();
            let tree = db.open_tree("keys").unwrap();
            let first = super::load_or_create_seed(&db, &tree, b"k").unwrap();
            assert_eq!(super::load_or_create_seed(&db, &tree, b"k").unwrap(), first);
            first
        };
        let db = sled::open(&dir).unwrap();
        let tree = db.open_tree("keys").unwrap();
        assert_eq!(
            super::load_or_create_seed(&db, &tree, b"k").unwrap(),
            first,
            "survives a reopen"
        );
        tree.insert(b"bad", &b"short"[..]).unwrap();
        assert!(super::load_or_create_seed(&db, &tree, b"bad").is_err());
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
