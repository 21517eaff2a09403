//! Validated NHS identifiers. Each newtype checks its format in its constructor, so a
//! value of the type is proof that the format was checked (formats: ../shared/domain/nhs-domain.md).

use std::fmt;
use std::sync::OnceLock;

use regex_lite::Regex;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

fn matches(pattern: &'static str, cell: &'static OnceLock<Regex>, value: &str) -> bool {
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|_| unreachable!("static pattern")))
        .is_match(value)
}

macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident, $what:literal, $pattern:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PATTERN: &'static str = $pattern;

            pub fn parse(value: &str) -> Result<Self> {
                static CELL: OnceLock<Regex> = OnceLock::new();
                if matches($pattern, &CELL, value) {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(Error::InvalidIdentifier { kind: $what, expected: $pattern })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::parse(s)
            }
        }
    };
}

validated_string!(
    /// Care Identity / SDS user id (BR-1). Twelve digits: the length rule is unconfirmed
    /// nationally, so `CareIdentityUuid::parse_with` takes another pattern where a site needs it.
    CareIdentityUuid, "Care Identity UUID", r"^[0-9]{12}$"
);
validated_string!(
    /// ODS organisation code of a trust: three upper-case letters or digits (BR-3).
    OdsCode, "ODS code", r"^[A-Z0-9]{3}$"
);
validated_string!(
    /// National RBAC job role code, `R` and four digits (BR-4).
    JobRoleCode, "RBAC job role code", r"^R[0-9]{4}$"
);
validated_string!(
    /// National RBAC activity code, `B` and four digits (BR-4).
    ActivityCode, "RBAC activity code", r"^B[0-9]{4}$"
);
validated_string!(
    /// Role profile id (`person_roleid`), twelve digits.
    PersonRoleId, "person_roleid", r"^[0-9]{12}$"
);
validated_string!(
    /// ESR assignment number: the employee number, with `-n` for second and later assignments.
    AssignmentNumber, "ESR assignment number", r"^[0-9]{8}(-[0-9]+)?$"
);

impl CareIdentityUuid {
    /// Validates against a site-specific pattern (BR-1 says the length rule is configurable).
    pub fn parse_with(value: &str, pattern: &Regex) -> Result<Self> {
        if pattern.is_match(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(Error::InvalidIdentifier {
                kind: "Care Identity UUID",
                expected: "the configured pattern",
            })
        }
    }
}

/// The professional regulators whose registers staff appear on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Regulator {
    #[serde(rename = "GMC")]
    Gmc,
    #[serde(rename = "NMC")]
    Nmc,
    #[serde(rename = "HCPC")]
    Hcpc,
    #[serde(rename = "GPhC")]
    Gphc,
    #[serde(rename = "GDC")]
    Gdc,
}

impl Regulator {
    pub fn code(self) -> &'static str {
        match self {
            Regulator::Gmc => "GMC",
            Regulator::Nmc => "NMC",
            Regulator::Hcpc => "HCPC",
            Regulator::Gphc => "GPhC",
            Regulator::Gdc => "GDC",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        match value {
            "GMC" => Ok(Regulator::Gmc),
            "NMC" => Ok(Regulator::Nmc),
            "HCPC" => Ok(Regulator::Hcpc),
            "GPhC" => Ok(Regulator::Gphc),
            "GDC" => Ok(Regulator::Gdc),
            _ => Err(Error::InvalidIdentifier {
                kind: "regulator",
                expected: "GMC, NMC, HCPC, GPhC or GDC",
            }),
        }
    }

    /// The number format each body publishes (BR-5). GDC's is unconfirmed: numeric, up to 7 digits.
    pub fn number_pattern(self) -> &'static str {
        match self {
            Regulator::Gmc => r"^[0-9]{7}$",
            Regulator::Nmc => r"^[0-9]{2}[A-Z][0-9]{4}[A-Z]$",
            Regulator::Hcpc => r"^[A-Z]{2}[0-9]{1,6}$",
            Regulator::Gphc => r"^2[0-9]{6}$",
            Regulator::Gdc => r"^[0-9]{1,7}$",
        }
    }

    /// The FHIR identifier system of the register, where one exists.
    pub fn fhir_system(self) -> Option<&'static str> {
        match self {
            Regulator::Gmc => Some("https://fhir.hl7.org.uk/Id/gmc-number"),
            Regulator::Nmc => Some("https://fhir.hl7.org.uk/Id/nmc-number"),
            Regulator::Hcpc => Some("https://fhir.hl7.org.uk/Id/hcpc-number"),
            Regulator::Gphc => Some("https://fhir.hl7.org.uk/Id/gphc-number"),
            Regulator::Gdc => None,
        }
    }
}

/// A registration number that passed its regulator's format check (BR-5). A format pass is
/// not a register check: the issuer records separately when and how it checked the register.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct RegistrationNumber {
    pub regulator: Regulator,
    pub number: String,
}

impl RegistrationNumber {
    pub fn parse(regulator: Regulator, number: &str) -> Result<Self> {
        let pattern =
            Regex::new(regulator.number_pattern()).map_err(|_| Error::InvalidIdentifier {
                kind: "registration number",
                expected: "a valid pattern",
            })?;
        if pattern.is_match(number) {
            Ok(Self {
                regulator,
                number: number.to_owned(),
            })
        } else {
            Err(Error::InvalidRegistrationNumber {
                regulator: regulator.code(),
                expected: regulator.number_pattern(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_accept_their_format_and_refuse_others() {
        type Check = fn(&str) -> bool;
        let cases: &[(&str, bool, Check)] = &[
            ("966786164588", true, |v| CareIdentityUuid::parse(v).is_ok()),
            ("96678616458", false, |v| CareIdentityUuid::parse(v).is_ok()),
            ("96678616458a", false, |v| {
                CareIdentityUuid::parse(v).is_ok()
            }),
            ("RJ1", true, |v| OdsCode::parse(v).is_ok()),
            ("R0A", true, |v| OdsCode::parse(v).is_ok()),
            ("rj1", false, |v| OdsCode::parse(v).is_ok()),
            ("RJ1X", false, |v| OdsCode::parse(v).is_ok()),
            ("R8000", true, |v| JobRoleCode::parse(v).is_ok()),
            ("R800", false, |v| JobRoleCode::parse(v).is_ok()),
            ("B8000", false, |v| JobRoleCode::parse(v).is_ok()),
            ("B0420", true, |v| ActivityCode::parse(v).is_ok()),
            ("B04200", false, |v| ActivityCode::parse(v).is_ok()),
            ("30493776", true, |v| AssignmentNumber::parse(v).is_ok()),
            ("30493776-2", true, |v| AssignmentNumber::parse(v).is_ok()),
            ("3049377", false, |v| AssignmentNumber::parse(v).is_ok()),
        ];
        for (value, ok, check) in cases {
            assert_eq!(check(value), *ok, "{value}");
        }
    }

    #[test]
    fn registration_numbers_follow_each_regulator() {
        let cases = [
            ("GMC", "4095647", true),
            ("GMC", "409564", false),
            ("NMC", "46E8805A", true),
            ("NMC", "46E88054", false),
            ("HCPC", "PH347859", true),
            ("HCPC", "P347859", false),
            ("GPhC", "2052630", true),
            ("GPhC", "3052630", false),
            ("GDC", "221024", true),
            ("GDC", "22A024", false),
        ];
        for (body, number, ok) in cases {
            let regulator = Regulator::parse(body).unwrap();
            assert_eq!(
                RegistrationNumber::parse(regulator, number).is_ok(),
                ok,
                "{body} {number}"
            );
        }
        assert!(Regulator::parse("GOC").is_err());
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<OdsCode>("\"RJ1\"").is_ok());
        assert!(serde_json::from_str::<OdsCode>("\"nope\"").is_err());
    }
}
