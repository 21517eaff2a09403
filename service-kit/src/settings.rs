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
