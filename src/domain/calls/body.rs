//! A request's body as the catalogue holds it: fields sent as they are, or a certificate edit
//! that PATCHes the whole `keyCredentials` list the read before it returned (Graph has no
//! call that adds or removes one certificate), with the text a plan shows for it.
//!
//! Pure; may import the rest of `domain`.

use serde_json::Value;

use super::*;

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Sent as it is: these fields, in the order a plan shows them (JSON has no order).
    Fields(Vec<(&'static str, Value)>),
    /// `{"keyCredentials": […]}`: the object's certificates as the read before it returned
    /// them (each with its `key`), changed by the edit. The PATCH replaces the collection,
    /// and Graph's `addKey` needs a proof signed by an existing certificate, which an
    /// application moving off secrets does not have.
    KeyCredentials(KeyEdit),
}

impl Body {
    /// The JSON of a `Fields` body; `None` for one that needs what a read returned.
    pub fn json(&self) -> Option<Value> {
        match self {
            Body::Fields(fields) => Some(Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            )),
            Body::KeyCredentials(_) => None,
        }
    }

    /// The body as a person reads it: a new certificate's data shows as a placeholder, the
    /// existing certificates as their number (`existing_keys`) when it is known.
    pub fn text(&self, existing_keys: Option<usize>) -> String {
        match self {
            Body::Fields(fields) => fields_text(fields),
            Body::KeyCredentials(KeyEdit::Append { entry, .. }) => {
                let existing = match existing_keys {
                    Some(n) => format!("the {n} existing"),
                    None => "the existing".to_string(),
                };
                let mut shown: Vec<String> = Vec::with_capacity(entry.len() + 1);
                for (k, v) in entry {
                    shown.push(format!("\"{k}\": {}", text(v)));
                    if *k == "usage" {
                        shown.push("\"key\": <public certificate, base64 DER>".to_string());
                    }
                }
                format!(
                    "{{\"keyCredentials\": [{existing}, + {{{}}}]}}",
                    shown.join(", ")
                )
            }
            Body::KeyCredentials(KeyEdit::Remove { key_id }) => {
                format!("{{\"keyCredentials\": [the existing, without keyId {key_id}]}}")
            }
        }
    }
}

/// How a certificate PATCH changes the collection it read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEdit {
    /// Appends the new certificate: `entry` is its metadata (`keyId`, `type`, `usage`, then
    /// what it has of `displayName`, `customKeyIdentifier`, `startDateTime`,
    /// `endDateTime`) and `key` its public certificate (standard base64 of the DER), `None`
    /// until it is generated.
    Append {
        entry: Vec<(&'static str, Value)>,
        key: Option<String>,
    },
    /// Takes the certificate with this `keyId` out.
    Remove { key_id: String },
}

impl KeyEdit {
    /// The collection to PATCH, from the one read: the new certificate appended (refused if
    /// one with its keyId is there), or the named one taken out (refused if it is not).
    pub fn apply(&self, mut keys: Vec<Value>) -> Result<Vec<Value>, Refused> {
        let key_id_of = |k: &Value| {
            k.get("keyId")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        match self {
            KeyEdit::Append { entry, key } => {
                let id = entry
                    .iter()
                    .find(|(k, _)| *k == "keyId")
                    .and_then(|(_, v)| v.as_str())
                    .unwrap_or("")
                    .to_string();
                let key = key.as_deref().ok_or_else(|| {
                    Refused::Unavailable(format!(
                        "certificate {id} cannot be uploaded without its public certificate"
                    ))
                })?;
                if keys.iter().any(|k| key_id_of(k).eq_ignore_ascii_case(&id)) {
                    return Err(Refused::Rejected(ApplyError::AlreadyExists {
                        what: "certificate",
                        id,
                    }));
                }
                let mut new: serde_json::Map<String, Value> = entry
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect();
                new.insert("key".into(), key.into());
                keys.push(Value::Object(new));
                Ok(keys)
            }
            KeyEdit::Remove { key_id } => {
                let at = keys
                    .iter()
                    .position(|k| key_id_of(k).eq_ignore_ascii_case(key_id))
                    .ok_or_else(|| {
                        Refused::Rejected(ApplyError::Missing {
                            what: "certificate",
                            id: key_id.clone(),
                        })
                    })?;
                keys.remove(at);
                Ok(keys)
            }
        }
    }

    /// Whether the edit can be made at all: a new certificate needs its public part.
    pub fn ready(&self) -> Result<(), Refused> {
        match self {
            KeyEdit::Append { key: None, .. } => self.apply(Vec::new()).map(drop),
            _ => Ok(()),
        }
    }

    /// The PATCH body for the collection read: `{"keyCredentials": apply(keys)}`.
    pub fn body(&self, keys: Vec<Value>) -> Result<Value, Refused> {
        Ok(serde_json::json!({ "keyCredentials": self.apply(keys)? }))
    }
}
