use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Loads a service's settings: its defaults, then the TOML file if one is named, then
/// environment variables with the given prefix (`PASSPORT_ISSUER_LISTEN=…`; nested keys
/// with `__`, e.g. `PASSPORT_ISSUER_TLS__CERTIFICATE`).
pub fn load<T: Serialize + DeserializeOwned + Default>(
    file: Option<&Path>,
    env_prefix: &str,
) -> Result<T, SettingsError> {
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(file) = file {
        if !file.exists() {
            return Err(SettingsError(format!(
                "settings file {} does not exist",
                file.display()
            )));
        }
        figment = figment.merge(Toml::file(file));
    }
    figment
        .merge(Env::prefixed(env_prefix).split("__"))
        .extract()
        .map_err(|e| SettingsError(e.to_string()))
}

#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(pub String);

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::load;

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Example {
        listen: String,
        public_base_url: String,
        nested: Option<Nested>,
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Nested {
        certificate: String,
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let folder = std::env::temp_dir().join(format!("settings-test-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let file = folder.join("service.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\npublic_base_url = \"https://from-file.example\"\n",
        )
        .unwrap();
        // A prefix of its own, so no other test's variables can interfere.
        std::env::set_var(
            "SETTINGS_TEST_A_PUBLIC_BASE_URL",
            "https://from-env.example",
        );
        std::env::set_var("SETTINGS_TEST_A_NESTED__CERTIFICATE", "/etc/cert.pem");
        let loaded: Example = load(Some(&file), "SETTINGS_TEST_A_").unwrap();
        assert_eq!(loaded.listen, "0.0.0.0:9000");
        assert_eq!(loaded.public_base_url, "https://from-env.example");
        assert_eq!(
            loaded.nested,
            Some(Nested {
                certificate: "/etc/cert.pem".into()
            })
        );

        assert!(load::<Example>(Some(&folder.join("missing.toml")), "SETTINGS_TEST_B_").is_err());
        std::fs::write(&file, "listen = [").unwrap();
        assert!(load::<Example>(Some(&file), "SETTINGS_TEST_C_").is_err());
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
