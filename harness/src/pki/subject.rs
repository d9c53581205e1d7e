//! Distinguished names in rcgen's form: the subject as the topology writes it, parsed by
//! `crate::topology::pki::subject` (the syntax lives with the model, so that loading a
//! topology can point at a bad subject), then encoded here in the order written.

use rcgen::{DistinguishedName, DnType, DnValue};

use super::error::PkiError;
use crate::topology::pki::subject::Attribute;

/// The rcgen type of an attribute.
fn dn_type(attribute: Attribute) -> DnType {
    match attribute {
        Attribute::CommonName => DnType::CommonName,
        Attribute::Organization => DnType::OrganizationName,
        Attribute::OrganizationalUnit => DnType::OrganizationalUnitName,
        Attribute::Country => DnType::CountryName,
        Attribute::StateOrProvince => DnType::StateOrProvinceName,
        Attribute::Locality => DnType::LocalityName,
    }
}

/// Parses `KEY=value,KEY=value` (a `\,` is a comma inside a value) for the CA or
/// certificate `name`.
///
/// # Errors
/// [`PkiError::Subject`] for an empty subject, a part without `=`, an unknown or repeated
/// attribute, an empty value, or a country that is not two letters.
pub fn parse(name: &str, subject: &str) -> Result<DistinguishedName, PkiError> {
    let bad = |reason: String| PkiError::Subject {
        name: name.to_string(),
        subject: subject.to_string(),
        reason,
    };
    let mut dn = DistinguishedName::new();
    for (attribute, value) in crate::topology::pki::subject::parse(subject).map_err(bad)? {
        let value = if attribute == Attribute::Country {
            DnValue::PrintableString(
                value
                    .clone()
                    .try_into()
                    .map_err(|_| bad(format!("country `{value}` is not printable")))?,
            )
        } else {
            DnValue::Utf8String(value)
        };
        dn.push(dn_type(attribute), value);
    }
    Ok(dn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(dn: &DistinguishedName) -> Vec<(DnType, String)> {
        dn.iter()
            .map(|(t, v)| {
                let text = match v {
                    DnValue::Utf8String(s) => s.clone(),
                    DnValue::PrintableString(s) => s.as_str().to_string(),
                    other => format!("{other:?}"),
                };
                (t.clone(), text)
            })
            .collect()
    }

    #[test]
    fn parses_in_written_order_with_escapes() {
        let dn = parse("ca", "CN=Lab CA, O=Acme\\, Inc.,c=FR").expect("valid subject");
        assert_eq!(
            values(&dn),
            vec![
                (DnType::CommonName, "Lab CA".to_string()),
                (DnType::OrganizationName, "Acme, Inc.".to_string()),
                (DnType::CountryName, "FR".to_string()),
            ]
        );
    }

    #[test]
    fn rejects_what_cannot_be_encoded_naming_the_subject() {
        for (subject, why) in [
            ("", "empty"),
            ("CN", "not KEY=value"),
            ("XX=1", "unknown attribute `XX`"),
            ("CN=", "empty value"),
            ("CN=a,CN=b", "appears twice"),
            ("C=France", "two-letter"),
        ] {
            let err = parse("ts-a", subject).expect_err(subject).to_string();
            assert!(
                err.contains("`ts-a`") && err.contains(why),
                "{subject}: {err}"
            );
        }
    }
}
