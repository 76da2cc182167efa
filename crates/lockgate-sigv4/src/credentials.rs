//! Who signs: per-stage credentials derived from one server secret, the
//! [`Caller`] they stand for, and the [`CredentialIndex`] that maps a
//! request's access key id back to its caller.

use std::collections::HashMap;
use std::sync::RwLock;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::constant_time_eq;
use crate::signature::{Authorization, SigV4Error, SignedRequest, verify_parsed};

type HmacSha256 = Hmac<Sha256>;

/// Who is calling: whom a request's credentials belong to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    /// The server's operator: may do anything.
    Admin,
    /// A stage's functions, holding that stage's credentials.
    Stage {
        /// The app.
        app: String,
        /// The stage.
        stage: String,
        /// The execution role the credentials stand for (a function's
        /// `Role`), when they were issued for one: its policies are then
        /// evaluated on every call, as IAM does.
        role: Option<AssumedRole>,
    },
}

/// An execution role as a function assumes it: AWS names the caller
/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, the session being the
/// function's name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AssumedRole {
    /// The role's name.
    pub role: String,
    /// The session name (the function's name).
    pub session: String,
}

impl Caller {
    /// The actor recorded in parameter versions and the audit log
    /// (`admin`, `stage:APP/STAGE`).
    pub fn actor(&self) -> String {
        match self {
            Caller::Admin => "admin".to_string(),
            Caller::Stage { app, stage, .. } => format!("stage:{app}/{stage}"),
        }
    }

    /// The IAM principal AWS would name in an access-denied message: the
    /// account's root for the admin, an assumed role per stage.
    pub fn principal_arn(&self, account_id: &str) -> String {
        match self {
            Caller::Admin => format!("arn:aws:iam::{account_id}:root"),
            Caller::Stage { role: Some(r), .. } => format!(
                "arn:aws:sts::{account_id}:assumed-role/{}/{}",
                r.role, r.session
            ),
            Caller::Stage { app, stage, .. } => {
                format!("arn:aws:sts::{account_id}:assumed-role/{app}-{stage}-functions/lockgate")
            }
        }
    }
}

/// A set of AWS credentials, as a function's environment carries them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`: `ASIA` followed by 16 uppercase hex digits.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`: 40 base64 characters.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`: 64 hex digits (SDKs send it as `X-Amz-Security-Token`).
    pub session_token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"****")
            .field("session_token", &"****")
            .finish()
    }
}

fn derive(server_secret: &[u8], purpose: &str, app: &str, stage: &str) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(server_secret).expect("HMAC takes keys of any length");
    mac.update(b"lockgate-credentials/v1\0");
    mac.update(purpose.as_bytes());
    mac.update(b"\0");
    mac.update(app.as_bytes());
    mac.update(b"\0");
    mac.update(stage.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The credentials of one stage's functions, derived deterministically from
/// the server secret: the same secret, app and stage always give the same
/// credentials (so they survive a restart), and nothing about one stage's
/// credentials tells another's.
///
/// - access key id: `ASIA` + the first 8 bytes of
///   HMAC-SHA256(secret, "lockgate-credentials/v1\0access-key-id\0APP\0STAGE"),
///   as 16 uppercase hex digits (20 characters, like AWS's temporary keys);
/// - secret access key: the first 30 bytes of the `secret-access-key` HMAC,
///   base64 (40 characters);
/// - session token: the `session-token` HMAC as 64 hex digits.
///
/// The id does not encode the app and stage; the server maps it back through
/// a [`CredentialIndex`] of the stages it serves.
pub fn stage_credentials(server_secret: &[u8], app: &str, stage: &str) -> Credentials {
    let id = derive(server_secret, "access-key-id", app, stage);
    let secret = derive(server_secret, "secret-access-key", app, stage);
    let token = derive(server_secret, "session-token", app, stage);
    Credentials {
        access_key_id: format!("ASIA{}", hex::encode_upper(&id[..8])),
        secret_access_key: base64::engine::general_purpose::STANDARD.encode(&secret[..30]),
        session_token: hex::encode(token),
    }
}

/// Maps access key ids back to who holds them: every stage the server serves
/// (registered with [`CredentialIndex::register_stage`]) and optionally admin
/// credentials.
#[derive(Debug)]
pub struct CredentialIndex {
    server_secret: Vec<u8>,
    /// The region every credential scope must name, when set.
    region: Option<String>,
    by_key: RwLock<HashMap<String, (Caller, Credentials)>>,
}

impl CredentialIndex {
    /// An empty index deriving stage credentials from `server_secret`.
    pub fn new(server_secret: &[u8]) -> Self {
        Self {
            server_secret: server_secret.to_vec(),
            region: None,
            by_key: RwLock::new(HashMap::new()),
        }
    }

    /// Refuses, as AWS does, a request whose credential scope names
    /// another region than `region` (every API the index authenticates).
    pub fn with_region(mut self, region: &str) -> Self {
        self.region = Some(region.to_string());
        self
    }

    /// Registers a stage (idempotent) and returns its credentials, to put in
    /// its functions' environment.
    pub fn register_stage(&self, app: &str, stage: &str) -> Credentials {
        let creds = stage_credentials(&self.server_secret, app, stage);
        let caller = Caller::Stage {
            app: app.to_string(),
            stage: stage.to_string(),
            role: None,
        };
        self.by_key
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(creds.access_key_id.clone(), (caller, creds.clone()));
        creds
    }

    /// Registers the credentials of one function of a stage acting as its
    /// execution role (idempotent): derived like the stage's, from the app,
    /// the stage, the role and the function, so they survive a restart.
    pub fn register_role(&self, app: &str, stage: &str, role: &AssumedRole) -> Credentials {
        let scope = format!("{stage}\0role\0{}\0{}", role.role, role.session);
        let creds = stage_credentials(&self.server_secret, app, &scope);
        let caller = Caller::Stage {
            app: app.to_string(),
            stage: stage.to_string(),
            role: Some(role.clone()),
        };
        self.by_key
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(creds.access_key_id.clone(), (caller, creds.clone()));
        creds
    }

    /// Forgets a stage (after it is destroyed): its credentials, and every
    /// role's of its functions, stop working.
    pub fn remove_stage(&self, app: &str, stage: &str) {
        self.by_key
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (caller, _)| {
                !matches!(caller, Caller::Stage { app: a, stage: s, .. } if a == app && s == stage)
            });
    }

    /// Registers credentials that act as [`Caller::Admin`] (for an operator's
    /// own SDK or CLI against the local SSM API).
    pub fn register_admin(&self, credentials: Credentials) {
        self.by_key
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                credentials.access_key_id.clone(),
                (Caller::Admin, credentials),
            );
    }

    /// Who holds `access_key_id`, with their credentials.
    pub fn lookup(&self, access_key_id: &str) -> Option<(Caller, Credentials)> {
        self.by_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(access_key_id)
            .cloned()
    }

    /// Authenticates a signed request: parses its `Authorization` header,
    /// finds the caller by access key id, checks the session token
    /// (`X-Amz-Security-Token`) and [`verify`](crate::verify)s the signature at `now`.
    pub fn authenticate(
        &self,
        request: &SignedRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<Caller, SigV4Error> {
        let header = request
            .header("authorization")
            .ok_or(SigV4Error::MissingAuthorization)?;
        let auth = Authorization::parse(header)?;
        if let Some(expected) = &self.region
            && auth.region != *expected
        {
            return Err(SigV4Error::WrongRegion {
                scope: auth.region,
                expected: expected.clone(),
            });
        }
        let (caller, creds) = self
            .lookup(&auth.access_key_id)
            .ok_or_else(|| SigV4Error::UnknownAccessKey(auth.access_key_id.clone()))?;
        match request.header("x-amz-security-token") {
            Some(token) if constant_time_eq(token.as_bytes(), creds.session_token.as_bytes()) => {}
            Some(_) => return Err(SigV4Error::InvalidSessionToken),
            None => return Err(SigV4Error::MissingSessionToken),
        }
        verify_parsed(request, &auth, &creds.secret_access_key, now)?;
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::signature::{UNSIGNED_PAYLOAD, sign};

    fn signed_post<'a>(
        creds: &Credentials,
        body: &'a [u8],
        date: &'a str,
    ) -> (Vec<(&'a str, String)>, String) {
        let headers: Vec<(&str, String)> = vec![
            ("Host", "127.0.0.1:4610".to_string()),
            ("X-Amz-Date", date.to_string()),
            ("Content-Type", "application/x-amz-json-1.1".to_string()),
            ("X-Amz-Target", "AmazonSSM.GetParameter".to_string()),
            ("X-Amz-Security-Token", creds.session_token.clone()),
        ];
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: headers.iter().map(|(k, v)| (*k, v.as_str())).collect(),
            body,
        };
        let auth = sign(
            &req,
            &creds.access_key_id,
            &creds.secret_access_key,
            "us-east-1",
            "ssm",
        )
        .unwrap();
        (headers, auth)
    }

    #[test]
    fn stage_credentials_are_deterministic_and_distinct() {
        let a = stage_credentials(b"secret", "greeter", "dev");
        assert_eq!(a, stage_credentials(b"secret", "greeter", "dev"));
        assert_ne!(a, stage_credentials(b"secret", "greeter", "prod"));
        assert_ne!(a, stage_credentials(b"other", "greeter", "dev"));
        // No ambiguity between ("ab", "c") and ("a", "bc").
        assert_ne!(
            stage_credentials(b"s", "ab", "c").access_key_id,
            stage_credentials(b"s", "a", "bc").access_key_id
        );
        assert_eq!(a.access_key_id.len(), 20);
        assert!(a.access_key_id.starts_with("ASIA"));
        assert!(
            a.access_key_id[4..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        );
        assert_eq!(a.secret_access_key.len(), 40);
        assert_eq!(a.session_token.len(), 64);
        assert!(!format!("{a:?}").contains(&a.secret_access_key));
    }

    #[test]
    fn role_credentials_are_their_own_and_go_with_their_stage() {
        let index = CredentialIndex::new(b"server-secret");
        let stage = index.register_stage("greeter", "dev");
        let role = AssumedRole {
            role: "HelloRole".into(),
            session: "greeter-dev-Hello".into(),
        };
        let creds = index.register_role("greeter", "dev", &role);
        assert_ne!(creds, stage);
        assert_eq!(creds, index.register_role("greeter", "dev", &role));
        let (caller, _) = index.lookup(&creds.access_key_id).unwrap();
        assert_eq!(
            caller.principal_arn("123456789012"),
            "arn:aws:sts::123456789012:assumed-role/HelloRole/greeter-dev-Hello"
        );
        let other = index.register_role("greeter", "prod", &role);
        index.remove_stage("greeter", "dev");
        assert!(index.lookup(&creds.access_key_id).is_none());
        assert!(index.lookup(&stage.access_key_id).is_none());
        assert!(index.lookup(&other.access_key_id).is_some());
    }

    #[test]
    fn authenticate_maps_keys_to_callers() {
        let index = CredentialIndex::new(b"server-secret");
        let dev = index.register_stage("greeter", "dev");
        let now: DateTime<Utc> = "2026-11-23T11:00:00Z".parse().unwrap();
        let body = br#"{"Name":"/dev/x"}"#;
        let (headers, auth) = signed_post(&dev, body, "20261123T110000Z");
        let mut hs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        hs.push(("Authorization", &auth));
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: hs.clone(),
            body,
        };
        assert_eq!(
            index.authenticate(&req, now).unwrap(),
            Caller::Stage {
                app: "greeter".into(),
                stage: "dev".into(),
                role: None,
            }
        );
        // Tampered body.
        let tampered = SignedRequest {
            body: br#"{"Name":"/prod/x"}"#,
            ..req.clone()
        };
        assert!(matches!(
            index.authenticate(&tampered, now),
            Err(SigV4Error::SignatureMismatch { .. })
        ));
        // Too far from the server's clock.
        let later = now + TimeDelta::minutes(16);
        assert!(matches!(
            index.authenticate(&req, later),
            Err(SigV4Error::Skewed { .. })
        ));
        // Wrong session token.
        let mut bad_token = req.clone();
        for h in &mut bad_token.headers {
            if h.0 == "X-Amz-Security-Token" {
                h.1 = "0000";
            }
        }
        assert!(matches!(
            index.authenticate(&bad_token, now),
            Err(SigV4Error::InvalidSessionToken | SigV4Error::SignatureMismatch { .. })
        ));
        // Body hash header that lies.
        let mut lying = req.clone();
        lying
            .headers
            .push(("x-amz-content-sha256", UNSIGNED_PAYLOAD));
        assert!(matches!(
            index.authenticate(&lying, now),
            Err(SigV4Error::PayloadHash(_))
        ));
        // Forgotten stage.
        index.remove_stage("greeter", "dev");
        let err = index.authenticate(&req, now).unwrap_err();
        assert_eq!(err.aws_code(), "UnrecognizedClientException");
    }
}
