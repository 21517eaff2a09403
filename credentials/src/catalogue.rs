//! The credential catalogue: one typed subject per NHS credential type, and the unsigned
//! VCDM 2.0 document built from it. Every claim term here is defined in our JSON-LD context
//! (`assets/context-v1.jsonld`) and constrained by the type's JSON Schema (`assets/schemas/`).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::identifiers::{
    ActivityCode, AssignmentNumber, CareIdentityUuid, JobRoleCode, OdsCode, PersonRoleId, Regulator,
};
use crate::vocabulary::{schema_url, CONTEXT_URL, VC_V2_CONTEXT_URL};

/// The seven credential types of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CredentialKind {
    CareIdentity,
    Employment,
    Role,
    ProfessionalRegistration,
    EmploymentChecks,
    Smartcard,
    RemoteSigning,
}

impl CredentialKind {
    pub const ALL: [CredentialKind; 7] = [
        CredentialKind::CareIdentity,
        CredentialKind::Employment,
        CredentialKind::Role,
        CredentialKind::ProfessionalRegistration,
        CredentialKind::EmploymentChecks,
        CredentialKind::Smartcard,
        CredentialKind::RemoteSigning,
    ];

    /// The VC `type` entry (after `VerifiableCredential`).
    pub fn type_name(self) -> &'static str {
        match self {
            CredentialKind::CareIdentity => "CareIdentityCredential",
            CredentialKind::Employment => "EmploymentCredential",
            CredentialKind::Role => "RoleCredential",
            CredentialKind::ProfessionalRegistration => "ProfessionalRegistrationCredential",
            CredentialKind::EmploymentChecks => "EmploymentChecksCredential",
            CredentialKind::Smartcard => "SmartcardCredential",
            CredentialKind::RemoteSigning => "RemoteSigningCredential",
        }
    }

    /// Short kebab-case name, used in file names and schema URLs.
    pub fn slug(self) -> &'static str {
        match self {
            CredentialKind::CareIdentity => "care-identity",
            CredentialKind::Employment => "employment",
            CredentialKind::Role => "role",
            CredentialKind::ProfessionalRegistration => "professional-registration",
            CredentialKind::EmploymentChecks => "employment-checks",
            CredentialKind::Smartcard => "smartcard",
            CredentialKind::RemoteSigning => "remote-signing",
        }
    }

    pub fn from_type_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.type_name() == name)
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.slug() == slug)
    }

    /// Finds our type among a credential's `type` values.
    pub fn of_credential(credential: &Value) -> Option<Self> {
        match credential.get("type")? {
            Value::String(one) => Self::from_type_name(one),
            Value::Array(many) => many
                .iter()
                .filter_map(Value::as_str)
                .find_map(Self::from_type_name),
            _ => None,
        }
    }
}

/// An NHS organisation, by ODS code and name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Organisation {
    pub ods_code: OdsCode,
    pub name: String,
}

/// A code with its human-readable name, as in the National RBAC Database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Coded<C> {
    pub code: C,
    pub name: String,
}

/// How the person's identity was proven (BR-8): a route and a free-text assurance label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentityProofing {
    pub method: IdentityProofingMethod,
    pub level: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityProofingMethod {
    /// Three documents seen in person by an RA (photo, address, one more).
    FaceToFaceDocuments,
    /// The national Apply for Care ID service.
    ApplyForCareId,
    /// A certified identity service provider at GPG45 Medium or above.
    IdspGpg45Medium,
    IdspGpg45High,
}

impl IdentityProofingMethod {
    pub fn assurance_label(self) -> &'static str {
        match self {
            IdentityProofingMethod::FaceToFaceDocuments => {
                "NHS Identity Check Standard (documents seen in person)"
            }
            IdentityProofingMethod::ApplyForCareId => {
                "NHS Identity Check Standard (Apply for Care ID)"
            }
            IdentityProofingMethod::IdspGpg45Medium => "GPG45 Medium",
            IdentityProofingMethod::IdspGpg45High => "GPG45 High",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CareIdentitySubject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub care_identity_uuid: CareIdentityUuid,
    pub given_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_names: Option<String>,
    pub family_name: String,
    pub identity_proofing: IdentityProofing,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmploymentSubject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub care_identity_uuid: CareIdentityUuid,
    pub employer: Organisation,
    pub assignment_number: AssignmentNumber,
    pub primary_assignment: bool,
    pub position_number: String,
    pub position_title: String,
    pub staff_group: String,
    pub start_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleSubject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub care_identity_uuid: CareIdentityUuid,
    pub person_role_id: PersonRoleId,
    pub organisation: Organisation,
    pub job_role: Coded<JobRoleCode>,
    pub activities: Vec<Coded<ActivityCode>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workgroups: Vec<Coded<String>>,
    /// The access control position (PBAC) the role came from, or `local-grant` (BR-9).
    pub granted_via: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfessionalRegistrationSubject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub care_identity_uuid: CareIdentityUuid,
    pub regulator: Regulator,
    pub registration_number: String,
    pub registration_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_due: Option<NaiveDate>,
    /// When and how the issuer checked the live register (BR-5: a format pass is not a check).
    pub register_checked_on: NaiveDate,
    pub register_check_method: String,
}

/// The six NHS Employment Check Standards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStandard {
    Identity,
    RightToWork,
    ProfessionalRegistrationAndQualification,
    EmploymentHistoryAndReferences,
    CriminalRecord,
    WorkHealthAssessment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DbsLevel {
    Basic,
    Standard,
    Enhanced,
    EnhancedWithBarredLists,
}

/// One completed employment check (BR-7: only completed standards are ever issued).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmploymentCheck {
    pub standard: CheckStandard,
    pub completed_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
    /// Identity: the proofing route. Right to work: the documentary basis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbs_level: Option<DbsLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbs_certificate_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbs_update_service: Option<bool>,
    /// Work health assessment: the outcome only, never clinical detail (BR-35).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// The Core Skills Training Framework's subjects (Skills for Health), as ESR names them;
/// "Violence and aggression" is Wales's.
pub const CSTF_SUBJECTS: [&str; 12] = [
    "Equality, diversity and human rights",
    "Health, safety and welfare",
    "NHS conflict resolution",
    "Fire safety",
    "Infection prevention and control",
    "Moving and handling",
    "Safeguarding adults",
    "Preventing radicalisation",
    "Safeguarding children",
    "Resuscitation",
    "Information governance and data security",
    "Violence and aggression",
];

/// Statutory and mandatory training against the Core Skills Training Framework.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainingRecord {
    pub training_subject: String,
    pub completed_on: NaiveDate,
    pub refresher_years: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OccupationalHealthClearance {
    pub clearance: String,
    pub exposure_prone_procedures: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmploymentChecksSubject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub care_identity_uuid: CareIdentityUuid,
    pub checked_by: Organisation,
    pub checks: Vec<EmploymentCheck>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub training: Vec<TrainingRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupational_health: Option<OccupationalHealthClearance>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmartcardType {
    Physical,
    Virtual,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateUsage {
    Authentication,
    Signing,
}

/// One of the card's X.509 certificates, identified without carrying the certificate itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SmartcardCertificate {
    pub usage: CertificateUsage,
    pub serial_number: String,
    pub thumbprint_sha256: String,
    pub issuer_ca: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SmartcardSubject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub care_identity_uuid: CareIdentityUuid,
    pub card_serial: String,
    pub card_type: SmartcardType,
    pub certificates: Vec<SmartcardCertificate>,
    pub authenticator_assurance: String,
}

/// A registration quoted by reference, as a prescriber's signing right depends on it (BR-10).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegistrationReference {
    pub regulator: Regulator,
    pub registration_number: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteSigningSubject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub care_identity_uuid: CareIdentityUuid,
    /// The holder's signing key, as a verification method URL (e.g. `did:key:z6Mk…#z6Mk…`).
    pub signing_key: String,
    pub signing_scope: Vec<String>,
    pub prescriber_type: String,
    pub registration: RegistrationReference,
    pub person_role_id: PersonRoleId,
    pub organisation: Organisation,
    pub prescribing_activities: Vec<ActivityCode>,
}

/// The typed subject of any catalogue credential.
#[derive(Clone, Debug, PartialEq)]
pub enum CredentialSubject {
    CareIdentity(CareIdentitySubject),
    Employment(EmploymentSubject),
    Role(RoleSubject),
    ProfessionalRegistration(ProfessionalRegistrationSubject),
    EmploymentChecks(EmploymentChecksSubject),
    Smartcard(SmartcardSubject),
    RemoteSigning(RemoteSigningSubject),
}

impl CredentialSubject {
    pub fn kind(&self) -> CredentialKind {
        match self {
            CredentialSubject::CareIdentity(_) => CredentialKind::CareIdentity,
            CredentialSubject::Employment(_) => CredentialKind::Employment,
            CredentialSubject::Role(_) => CredentialKind::Role,
            CredentialSubject::ProfessionalRegistration(_) => {
                CredentialKind::ProfessionalRegistration
            }
            CredentialSubject::EmploymentChecks(_) => CredentialKind::EmploymentChecks,
            CredentialSubject::Smartcard(_) => CredentialKind::Smartcard,
            CredentialSubject::RemoteSigning(_) => CredentialKind::RemoteSigning,
        }
    }

    pub fn care_identity_uuid(&self) -> &CareIdentityUuid {
        match self {
            CredentialSubject::CareIdentity(s) => &s.care_identity_uuid,
            CredentialSubject::Employment(s) => &s.care_identity_uuid,
            CredentialSubject::Role(s) => &s.care_identity_uuid,
            CredentialSubject::ProfessionalRegistration(s) => &s.care_identity_uuid,
            CredentialSubject::EmploymentChecks(s) => &s.care_identity_uuid,
            CredentialSubject::Smartcard(s) => &s.care_identity_uuid,
            CredentialSubject::RemoteSigning(s) => &s.care_identity_uuid,
        }
    }

    pub(crate) fn to_json(&self) -> Result<Value> {
        let value = match self {
            CredentialSubject::CareIdentity(s) => serde_json::to_value(s),
            CredentialSubject::Employment(s) => serde_json::to_value(s),
            CredentialSubject::Role(s) => serde_json::to_value(s),
            CredentialSubject::ProfessionalRegistration(s) => serde_json::to_value(s),
            CredentialSubject::EmploymentChecks(s) => serde_json::to_value(s),
            CredentialSubject::Smartcard(s) => serde_json::to_value(s),
            CredentialSubject::RemoteSigning(s) => serde_json::to_value(s),
        };
        value.map_err(|e| Error::MalformedCredential(e.to_string()))
    }

    /// Reads the typed subject of a credential of the given kind: this is where the type
    /// rules (identifier formats, required claims, no unknown claims) are enforced.
    pub fn from_json(kind: CredentialKind, subject: &Value) -> Result<Self> {
        fn read<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T> {
            T::deserialize(v)
                .map_err(|e| Error::MalformedCredential(format!("credentialSubject: {e}")))
        }
        Ok(match kind {
            CredentialKind::CareIdentity => CredentialSubject::CareIdentity(read(subject)?),
            CredentialKind::Employment => CredentialSubject::Employment(read(subject)?),
            CredentialKind::Role => CredentialSubject::Role(read(subject)?),
            CredentialKind::ProfessionalRegistration => {
                let typed: ProfessionalRegistrationSubject = read(subject)?;
                crate::identifiers::RegistrationNumber::parse(
                    typed.regulator,
                    &typed.registration_number,
                )?;
                CredentialSubject::ProfessionalRegistration(typed)
            }
            CredentialKind::EmploymentChecks => CredentialSubject::EmploymentChecks(read(subject)?),
            CredentialKind::Smartcard => CredentialSubject::Smartcard(read(subject)?),
            CredentialKind::RemoteSigning => {
                let typed: RemoteSigningSubject = read(subject)?;
                crate::identifiers::RegistrationNumber::parse(
                    typed.registration.regulator,
                    &typed.registration.registration_number,
                )?;
                CredentialSubject::RemoteSigning(typed)
            }
        })
    }

    fn set_id(&mut self, holder: Option<String>) {
        let slot = match self {
            CredentialSubject::CareIdentity(s) => &mut s.id,
            CredentialSubject::Employment(s) => &mut s.id,
            CredentialSubject::Role(s) => &mut s.id,
            CredentialSubject::ProfessionalRegistration(s) => &mut s.id,
            CredentialSubject::EmploymentChecks(s) => &mut s.id,
            CredentialSubject::Smartcard(s) => &mut s.id,
            CredentialSubject::RemoteSigning(s) => &mut s.id,
        };
        *slot = holder;
    }
}

/// Who issues: a DID and a display name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssuerIdentity {
    pub id: String,
    pub name: String,
}

/// A catalogue credential before it is secured.
#[derive(Clone, Debug, PartialEq)]
pub struct UnsignedCredential {
    /// `urn:uuid:…`
    pub id: String,
    pub issuer: IssuerIdentity,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub subject: CredentialSubject,
}

impl UnsignedCredential {
    pub fn new(
        issuer: IssuerIdentity,
        valid_from: DateTime<Utc>,
        subject: CredentialSubject,
    ) -> Self {
        Self {
            id: uuid::Uuid::new_v4().urn().to_string(),
            issuer,
            valid_from,
            valid_until: None,
            subject,
        }
    }

    pub fn kind(&self) -> CredentialKind {
        self.subject.kind()
    }

    /// Binds the credential to its holder (a DID, usually did:key): presentations are then
    /// accepted only from that holder.
    pub fn bound_to(mut self, holder: Option<String>) -> Self {
        self.subject.set_id(holder);
        self
    }

    pub fn with_valid_until(mut self, valid_until: Option<DateTime<Utc>>) -> Self {
        self.valid_until = valid_until;
        self
    }

    /// The VCDM 2.0 JSON document, ready to be secured.
    pub fn to_json(&self) -> Result<Value> {
        let kind = self.kind();
        let mut document = json!({
            "@context": [VC_V2_CONTEXT_URL, CONTEXT_URL],
            "id": self.id,
            "type": ["VerifiableCredential", kind.type_name()],
            "issuer": { "id": self.issuer.id, "name": self.issuer.name },
            "validFrom": xsd_date_time(&self.valid_from),
            "credentialSubject": self.subject.to_json()?,
            "credentialSchema": { "id": schema_url(kind), "type": "JsonSchema" },
        });
        if let Some(until) = &self.valid_until {
            document["validUntil"] = Value::String(xsd_date_time(until));
        }
        Ok(document)
    }
}

/// XML Schema dateTimeStamp in UTC, to the second (what VCDM 2.0 and every peer parse).
pub fn xsd_date_time(instant: &DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}
