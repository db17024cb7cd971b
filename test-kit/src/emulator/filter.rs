//! Graph's `$filter` on applications and service principals, as far as the documentation
//! says it works — and refused where it says it does not. A small OData parser (comparisons,
//! `in`, `startsWith`, `and`, `or`, `not`, parentheses) and an evaluator over the domain
//! objects, with each property's documented support per operator:
//!
//! | collection | property | works by default | advanced query only | source |
//! | --- | --- | --- | --- | --- |
//! | applications | `appId` | `eq`, `in` | `ne`, `not` | v1.0/resources/application.md ("Supports `$filter` (`eq`)"); `in` wherever `eq` works and `ne`/`not` only in advanced queries: concepts/aad-advanced-queries.md |
//! | applications | `createdDateTime` | `eq`, `ge`, `le` | `ne`, `not`, `in`, `eq null` | application.md ("`eq`, `ne`, `not`, `ge`, `le`, `in`, and `eq` on `null` values"); includes/filter-directory-objects.md (createdDateTime: `ge`/`le` by default, `in` advanced); `eq null` advanced as for every other property with a null column there (**unconfirmed** for createdDateTime) |
//! | applications, service principals | `displayName` | `eq`, `in`, `startsWith` | `ne`, `not`, `eq null` | application.md, filter-directory-objects.md |
//! | applications, service principals | `id` | `eq`, `in` | `ne`, `not` | application.md, filter-directory-objects.md |
//! | service principals | `appId` | `eq`, `in`, `startsWith` | `ne`, `not` | v1.0/resources/serviceprincipal.md ("`eq`, `ne`, `not`, `in`, `startsWith`") |
//! | service principals | `servicePrincipalType` | `eq` | — | the reference's §1.3 (Microsoft's managed-identity articles); **unconfirmed** |
//!
//! Anything else — another property, `gt`/`lt`, `endsWith`, `startsWith` on an application's
//! `appId` — is 400 `Request_UnsupportedQuery`, and an advanced-only operator without
//! `ConsistencyLevel: eventual` and `$count=true` is 400 `Request_BadRequest`, as the
//! advanced-queries page describes. Whether string comparisons are case-insensitive is not
//! documented: `Options::case_sensitive_filters` picks, so a client can be proven against both.

use credwise::domain::{Application, ServicePrincipal, Timestamp};
use time::format_description::well_known::Rfc3339;

/// Which collection a filter is read against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    Applications,
    ServicePrincipals,
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Time(Timestamp),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Cmp(String, Op, Lit),
    In(String, Vec<Lit>),
    StartsWith(String, String),
    EndsWith(String, String),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

/// A parsed, checked filter.
#[derive(Debug, Clone)]
pub struct Filter {
    expr: Expr,
    case_sensitive: bool,
}

/// Why a filter is refused: the HTTP 400 code and message Graph gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub message: String,
}

fn unsupported(message: impl Into<String>) -> Refused {
    Refused {
        code: "Request_UnsupportedQuery",
        message: message.into(),
    }
}

fn bad(message: impl Into<String>) -> Refused {
    Refused {
        code: "Request_BadRequest",
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens and parsing.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    LParen,
    RParen,
    Comma,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, Refused> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '\'' => {
                // OData doubles a quote inside a string literal.
                let mut lit = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(bad(format!(
                                "Syntax error: an unterminated string literal in '{s}'."
                            )));
                        }
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            lit.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            lit.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(lit));
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '.' | '+' | '/' | '$') => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric()
                        || matches!(chars[i], '_' | '-' | ':' | '.' | '+' | '/' | '$'))
                {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            other => {
                return Err(bad(format!(
                    "Syntax error: character '{other}' is not valid at position {i} in '{s}'."
                )));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    text: String,
}

impl Parser {
    fn peek_word(&self) -> Option<String> {
        match self.toks.get(self.pos) {
            Some(Tok::Ident(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn syntax(&self) -> Refused {
        bad(format!("Syntax error in the $filter '{}'.", self.text))
    }

    fn expect(&mut self, t: &Tok) -> Result<(), Refused> {
        if self.toks.get(self.pos) == Some(t) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    fn or(&mut self) -> Result<Expr, Refused> {
        let mut left = self.and()?;
        while self.peek_word().as_deref() == Some("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, Refused> {
        let mut left = self.unary()?;
        while self.peek_word().as_deref() == Some("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, Refused> {
        if self.peek_word().as_deref() == Some("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn literal(&mut self) -> Result<Lit, Refused> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        match t {
            Some(Tok::Str(s)) => Ok(Lit::Str(s)),
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("null") => Ok(Lit::Null),
            Some(Tok::Ident(w)) => match Timestamp::parse(&w, &Rfc3339) {
                Ok(t) => Ok(Lit::Time(t)),
                Err(_) => Err(bad(format!(
                    "Invalid literal '{w}' in the $filter '{}'.",
                    self.text
                ))),
            },
            _ => Err(self.syntax()),
        }
    }

    fn primary(&mut self) -> Result<Expr, Refused> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.or()?;
                self.expect(&Tok::RParen)?;
                Ok(e)
            }
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                let lower = name.to_ascii_lowercase();
                if self.toks.get(self.pos) == Some(&Tok::LParen)
                    && (lower == "startswith" || lower == "endswith")
                {
                    self.pos += 1;
                    let prop = match self.toks.get(self.pos).cloned() {
                        Some(Tok::Ident(p)) => p,
                        _ => return Err(self.syntax()),
                    };
                    self.pos += 1;
                    self.expect(&Tok::Comma)?;
                    let value = match self.literal()? {
                        Lit::Str(s) => s,
                        _ => return Err(self.syntax()),
                    };
                    self.expect(&Tok::RParen)?;
                    return Ok(if lower == "startswith" {
                        Expr::StartsWith(prop, value)
                    } else {
                        Expr::EndsWith(prop, value)
                    });
                }
                let op = self.peek_word().ok_or_else(|| self.syntax())?;
                self.pos += 1;
                if op == "in" {
                    self.expect(&Tok::LParen)?;
                    let mut values = vec![self.literal()?];
                    while self.toks.get(self.pos) == Some(&Tok::Comma) {
                        self.pos += 1;
                        values.push(self.literal()?);
                    }
                    self.expect(&Tok::RParen)?;
                    return Ok(Expr::In(name, values));
                }
                let op = match op.as_str() {
                    "eq" => Op::Eq,
                    "ne" => Op::Ne,
                    "ge" => Op::Ge,
                    "le" => Op::Le,
                    "gt" => Op::Gt,
                    "lt" => Op::Lt,
                    _ => return Err(self.syntax()),
                };
                Ok(Expr::Cmp(name, op, self.literal()?))
            }
            _ => Err(self.syntax()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Support per property.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Support {
    Default,
    Advanced,
    No,
}

/// The canonical name of a property this module knows on `on`.
fn property(on: On, name: &str) -> Option<&'static str> {
    let known: &[&'static str] = match on {
        On::Applications => &["appId", "createdDateTime", "displayName", "id"],
        On::ServicePrincipals => &["appId", "displayName", "id", "servicePrincipalType"],
    };
    known.iter().copied().find(|p| p.eq_ignore_ascii_case(name))
}

/// What the documentation says about `op` on `prop` (see the module docs).
fn support(on: On, prop: &str, op: &str) -> Support {
    use Support::*;
    match (on, prop, op) {
        (_, _, "ne" | "not") if prop != "servicePrincipalType" => Advanced,
        (_, "id", "eq" | "in") => Default,
        (_, "displayName", "eq" | "in" | "startsWith") => Default,
        (_, "displayName", "eqnull") => Advanced,
        (On::Applications, "appId", "eq" | "in") => Default,
        (On::Applications, "createdDateTime", "eq" | "ge" | "le") => Default,
        (On::Applications, "createdDateTime", "in" | "eqnull") => Advanced,
        (On::ServicePrincipals, "appId", "eq" | "in" | "startsWith") => Default,
        (On::ServicePrincipals, "servicePrincipalType", "eq") => Default,
        _ => No,
    }
}

fn type_name(on: On) -> &'static str {
    match on {
        On::Applications => "application",
        On::ServicePrincipals => "servicePrincipal",
    }
}

/// Checks every operator in `e` against the support table; returns the canonical form.
fn check(on: On, e: Expr, advanced: bool) -> Result<Expr, Refused> {
    let need = |prop: &str, op: &str| -> Result<&'static str, Refused> {
        let Some(p) = property(on, prop) else {
            return Err(unsupported(format!(
                "Unsupported or invalid query filter clause specified for property '{prop}' of resource '{}'.",
                type_name(on)
            )));
        };
        match support(on, p, op) {
            Support::Default => Ok(p),
            Support::Advanced if advanced => Ok(p),
            Support::Advanced => Err(bad(format!(
                "Operator '{op}' is not supported on '{p}' without the advanced query parameters (ConsistencyLevel: eventual and $count=true)."
            ))),
            Support::No => Err(unsupported(format!(
                "Unsupported or invalid query filter clause specified for property '{p}' of resource '{}'.",
                type_name(on)
            ))),
        }
    };
    Ok(match e {
        Expr::Cmp(prop, op, lit) => {
            let name = match (op, &lit) {
                (Op::Eq, Lit::Null) => "eqnull",
                (Op::Eq, _) => "eq",
                (Op::Ne, _) => "ne",
                (Op::Ge, _) => "ge",
                (Op::Le, _) => "le",
                (Op::Gt, _) => "gt",
                (Op::Lt, _) => "lt",
            };
            let p = need(&prop, name)?;
            if p == "createdDateTime" && !matches!(lit, Lit::Time(_) | Lit::Null) {
                return Err(bad(format!(
                    "A binary operator with incompatible types was detected: '{p}' is a DateTimeOffset."
                )));
            }
            if p != "createdDateTime" && matches!(lit, Lit::Time(_)) {
                return Err(bad(format!(
                    "A binary operator with incompatible types was detected: '{p}' is a String."
                )));
            }
            Expr::Cmp(p.to_string(), op, lit)
        }
        Expr::In(prop, values) => Expr::In(need(&prop, "in")?.to_string(), values),
        Expr::StartsWith(prop, v) => Expr::StartsWith(need(&prop, "startsWith")?.to_string(), v),
        Expr::EndsWith(prop, _) => {
            // endsWith works (in advanced queries) only on mail, otherMails,
            // userPrincipalName and proxyAddresses — none of them here.
            return Err(unsupported(format!(
                "Unsupported or invalid query filter clause specified for property '{prop}' of resource '{}'.",
                type_name(on)
            )));
        }
        Expr::And(a, b) => Expr::And(
            Box::new(check(on, *a, advanced)?),
            Box::new(check(on, *b, advanced)?),
        ),
        Expr::Or(a, b) => Expr::Or(
            Box::new(check(on, *a, advanced)?),
            Box::new(check(on, *b, advanced)?),
        ),
        Expr::Not(a) => {
            if !advanced {
                return Err(bad(
                    "The 'not' operator is supported only with the advanced query parameters (ConsistencyLevel: eventual and $count=true).",
                ));
            }
            Expr::Not(Box::new(check(on, *a, advanced)?))
        }
    })
}

impl Filter {
    /// Parses and checks `text` for `on`; `advanced` says whether the request carries the
    /// advanced query parameters.
    pub fn parse(
        on: On,
        text: &str,
        advanced: bool,
        case_sensitive: bool,
    ) -> Result<Filter, Refused> {
        let toks = tokenize(text)?;
        if toks.is_empty() {
            return Err(bad("The $filter is empty."));
        }
        let mut p = Parser {
            toks,
            pos: 0,
            text: text.to_string(),
        };
        let expr = p.or()?;
        if p.pos != p.toks.len() {
            return Err(p.syntax());
        }
        Ok(Filter {
            expr: check(on, expr, advanced)?,
            case_sensitive,
        })
    }

    pub fn matches_app(&self, a: &Application) -> bool {
        self.eval(&self.expr, &|prop| match prop {
            "appId" => Value::Str(non_empty(&a.app_id)),
            "createdDateTime" => Value::Time(a.created_date_time),
            "displayName" => Value::Str(Some(&a.display_name)),
            "id" => Value::Str(Some(&a.id)),
            _ => Value::Str(None),
        })
    }

    pub fn matches_sp(&self, s: &ServicePrincipal) -> bool {
        self.eval(&self.expr, &|prop| match prop {
            "appId" => Value::Str(non_empty(&s.app_id)),
            "displayName" => Value::Str(Some(&s.display_name)),
            "id" => Value::Str(Some(&s.id)),
            "servicePrincipalType" => Value::Str(Some(s.service_principal_type.as_str())),
            _ => Value::Str(None),
        })
    }

    fn same(&self, a: &str, b: &str) -> bool {
        if self.case_sensitive {
            a == b
        } else {
            a.eq_ignore_ascii_case(b)
        }
    }

    fn eval<'o>(&self, e: &Expr, get: &dyn Fn(&str) -> Value<'o>) -> bool {
        match e {
            Expr::And(a, b) => self.eval(a, get) && self.eval(b, get),
            Expr::Or(a, b) => self.eval(a, get) || self.eval(b, get),
            Expr::Not(a) => !self.eval(a, get),
            Expr::StartsWith(p, v) => match get(p) {
                Value::Str(Some(s)) => {
                    s.len() >= v.len() && s.is_char_boundary(v.len()) && self.same(&s[..v.len()], v)
                }
                _ => false,
            },
            Expr::EndsWith(..) => false,
            Expr::In(p, values) => values.iter().any(|v| self.compare(get(p), Op::Eq, v)),
            Expr::Cmp(p, op, v) => self.compare(get(p), *op, v),
        }
    }

    fn compare(&self, have: Value<'_>, op: Op, want: &Lit) -> bool {
        match (have, want) {
            (Value::Str(s), Lit::Null) | (Value::Str(s), Lit::Str(_)) if s.is_none() => {
                matches!((op, want), (Op::Eq, Lit::Null) | (Op::Ne, Lit::Str(_)))
            }
            (Value::Time(t), Lit::Null) => matches!((op, t), (Op::Eq, None) | (Op::Ne, Some(_))),
            (Value::Str(Some(s)), Lit::Str(w)) => match op {
                Op::Eq => self.same(s, w),
                Op::Ne => !self.same(s, w),
                _ => false,
            },
            (Value::Str(Some(_)), Lit::Null) => op == Op::Ne,
            (Value::Time(Some(t)), Lit::Time(w)) => match op {
                Op::Eq => t == *w,
                Op::Ne => t != *w,
                Op::Ge => t >= *w,
                Op::Le => t <= *w,
                Op::Gt => t > *w,
                Op::Lt => t < *w,
            },
            _ => false,
        }
    }
}

enum Value<'o> {
    Str(Option<&'o str>),
    Time(Option<Timestamp>),
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(on: On, f: &str, advanced: bool) -> Result<Filter, Refused> {
        Filter::parse(on, f, advanced, false)
    }

    #[test]
    fn documented_support_is_what_passes() {
        use On::*;
        for ok in [
            (
                ServicePrincipals,
                "startswith(appId,'a') or startswith(appId,'A')",
            ),
            (ServicePrincipals, "appId in ('a','b')"),
            (
                ServicePrincipals,
                "servicePrincipalType eq 'ManagedIdentity'",
            ),
            (
                Applications,
                "createdDateTime ge 2020-01-01T00:00:00Z and createdDateTime le 2021-01-01T00:00:00Z",
            ),
            (
                Applications,
                "appId eq '00000000-0000-0000-0000-000000000001'",
            ),
            (Applications, "startsWith(displayName,'pay')"),
        ] {
            assert!(parse(ok.0, ok.1, false).is_ok(), "{ok:?}");
        }
        // What the documentation does not list, or lists as advanced only.
        for (on, f, code) in [
            (
                Applications,
                "startswith(appId,'a')",
                "Request_UnsupportedQuery",
            ),
            (
                Applications,
                "createdDateTime gt 2020-01-01T00:00:00Z",
                "Request_UnsupportedQuery",
            ),
            (
                Applications,
                "createdDateTime eq null",
                "Request_BadRequest",
            ),
            (ServicePrincipals, "appId ne 'x'", "Request_BadRequest"),
            (
                ServicePrincipals,
                "not startswith(appId,'a')",
                "Request_BadRequest",
            ),
            (
                ServicePrincipals,
                "endswith(appId,'a')",
                "Request_UnsupportedQuery",
            ),
            (
                ServicePrincipals,
                "publisherName eq 'x'",
                "Request_UnsupportedQuery",
            ),
        ] {
            assert_eq!(parse(on, f, false).unwrap_err().code, code, "{f}");
        }
        assert!(parse(Applications, "createdDateTime eq null", true).is_ok());
        assert!(parse(ServicePrincipals, "not startswith(appId,'a')", true).is_ok());
    }
}
