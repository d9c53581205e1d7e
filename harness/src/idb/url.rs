//! A PostgreSQL connection URL (`postgresql://user[:password]@host[:port]/database`), as a
//! `[database.KEY] url` gives it.
//!
//! The URL may carry a password. It is kept in one type whose `Display` and `Debug` hide the
//! password, so that a log line, a trace, a report or an error that shows the URL never shows
//! the secret; only [`DbUrl::secret`] gives the whole text, to the client that connects.

use std::fmt;

/// What stands for a hidden password.
const HIDDEN: &str = "***";

/// A PostgreSQL connection URL whose password is never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl(String);

/// Why a text is not a PostgreSQL URL: words safe to show (they never quote the URL).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UrlError(String);

impl DbUrl {
    /// Reads `text` as a PostgreSQL URL (scheme `postgresql://` or `postgres://`, parsed as
    /// the PostgreSQL client parses it).
    ///
    /// # Errors
    /// [`UrlError`] saying what is wrong, without quoting the URL.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let scheme = text.split_once("://").map(|(s, _)| s);
        match scheme {
            Some("postgresql" | "postgres") => {}
            Some(other) => {
                return Err(UrlError(format!(
                    "a database url must be postgresql://, not {}://",
                    crate::limits::shorten_quotes(other.to_string())
                )));
            }
            None => {
                return Err(UrlError(
                    "a database url has the form postgresql://user@host:port/database".into(),
                ));
            }
        }
        text.parse::<postgres::Config>()
            .map_err(|e| UrlError(format!("not a PostgreSQL URL: {e}")))?;
        Ok(Self(text.to_string()))
    }

    /// The whole URL, password included: for the client that connects, and nothing else.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// The URL with its password (in the user part or a `password=` parameter) hidden.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({:?})", self.redacted())
    }
}

/// `url` with the password of its user part and of any `password=` parameter hidden.
fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => before_query.split_at(i),
        None => (before_query, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user, hosts)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:{HIDDEN}@{hosts}"),
            None => format!("{user}@{hosts}"),
        },
        None => authority.to_string(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}={HIDDEN}"),
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        let u = DbUrl::parse(
            "postgresql://icon:s3cret@db.lab:5433/idb?password=s3cret&sslmode=disable",
        )
        .expect("a url");
        for shown in [u.to_string(), format!("{u:?}"), u.redacted()] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("icon:***@db.lab:5433/idb"), "{shown}");
            assert!(shown.contains("sslmode=disable"), "{shown}");
        }
        assert!(u.secret().contains("s3cret"));
        let plain = DbUrl::parse("postgres://icon@127.0.0.1/idb").expect("a url");
        assert_eq!(plain.to_string(), "postgres://icon@127.0.0.1/idb");
    }

    #[test]
    fn other_schemes_and_bad_urls_are_refused_without_quoting_them() {
        let e = DbUrl::parse("mysql://root:pw@h/db").expect_err("not postgres");
        assert_eq!(
            e.to_string(),
            "a database url must be postgresql://, not mysql://"
        );
        let e = DbUrl::parse("idb.lab:5432").expect_err("no scheme");
        assert!(e.to_string().contains("postgresql://user@host"), "{e}");
        let e = DbUrl::parse("postgresql://u:pw@h:notaport/db").expect_err("bad port");
        assert!(e.to_string().starts_with("not a PostgreSQL URL"), "{e}");
        assert!(!e.to_string().contains("pw"), "{e}");
    }
}
