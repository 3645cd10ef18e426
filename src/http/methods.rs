//! Which methods each path has, read from the OpenAPI document (itself made from the handlers as
//! they are registered), so that the router, the document and the 405s cannot disagree: a
//! request with another method on a known path is a 405 problem with `Allow`, and a browser's
//! preflight for POST is allowed only where a POST exists.

use std::sync::OnceLock;

use actix_web::http::Method;

/// One segment of a path template: literal text, or a `{parameter}` with the literal text around
/// it (`{id}.ics`).
#[derive(Debug)]
enum Segment {
    Literal(String),
    Parameter { prefix: String, suffix: String },
}

impl Segment {
    fn parse(text: &str) -> Segment {
        match (text.find('{'), text.rfind('}')) {
            (Some(open), Some(close)) if open < close => Segment::Parameter {
                prefix: text[..open].to_string(),
                suffix: text[close + 1..].to_string(),
            },
            _ => Segment::Literal(text.to_string()),
        }
    }

    fn matches(&self, text: &str) -> bool {
        match self {
            Segment::Literal(literal) => literal == text,
            Segment::Parameter { prefix, suffix } => {
                text.len() > prefix.len() + suffix.len()
                    && text.starts_with(prefix.as_str())
                    && text.ends_with(suffix.as_str())
            }
        }
    }
}

/// The paths of the API and the methods of each.
#[derive(Debug)]
pub struct Routes(Vec<(Vec<Segment>, Vec<Method>)>);

impl Routes {
    /// The routes of the OpenAPI document (HEAD wherever there is GET: it is answered as GET).
    pub fn of(doc: &utoipa::openapi::OpenApi) -> Routes {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                if item.get.is_some() {
                    methods.extend([Method::GET, Method::HEAD]);
                }
                for (operation, method) in [
                    (&item.post, Method::POST),
                    (&item.put, Method::PUT),
                    (&item.patch, Method::PATCH),
                    (&item.delete, Method::DELETE),
                ] {
                    if operation.is_some() {
                        methods.push(method);
                    }
                }
                (path.split('/').map(Segment::parse).collect(), methods)
            })
            .collect();
        Routes(routes)
    }

    /// The routes of the API, built once.
    pub fn api() -> &'static Routes {
        static ROUTES: OnceLock<Routes> = OnceLock::new();
        ROUTES.get_or_init(|| Routes::of(&super::openapi()))
    }

    /// The methods `path` has (the union, when several templates match, as `/v1/meetings/{id}`
    /// and `/v1/meetings/{id}.ics` both match `/v1/meetings/a.ics`); `None` for a path the API
    /// does not have.
    pub fn methods(&self, path: &str) -> Option<Vec<Method>> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut found: Option<Vec<Method>> = None;
        for (template, methods) in &self.0 {
            let matches =
                template.len() == segments.len() && template.iter().zip(&segments).all(|(t, s)| t.matches(s));
            if matches {
                let all = found.get_or_insert_with(Vec::new);
                for m in methods {
                    if !all.contains(m) {
                        all.push(m.clone());
                    }
                }
            }
        }
        found
    }

    /// The `Allow` header's value for `path`.
    pub fn allow(&self, path: &str) -> Option<String> {
        let methods = self.methods(path)?;
        Some(methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_the_api_and_their_methods() {
        let routes = Routes::api();
        assert_eq!(routes.allow("/v1/meetings").as_deref(), Some("GET, HEAD"));
        assert_eq!(routes.allow("/v1/meetings/abc").as_deref(), Some("GET, HEAD"));
        assert_eq!(routes.allow("/v1/meetings/abc.ics").as_deref(), Some("GET, HEAD"));
        assert_eq!(routes.allow("/v1/coverage").as_deref(), Some("GET, HEAD, POST"));
        assert_eq!(
            routes.allow("/v1/coverage/gaps").as_deref(),
            Some("GET, HEAD, POST")
        );
        assert_eq!(
            routes.allow("/v1/sources/x/imports").as_deref(),
            Some("GET, HEAD")
        );
        // The pages for people: the landing page and a page per meeting.
        assert_eq!(routes.allow("/").as_deref(), Some("GET, HEAD"));
        assert_eq!(routes.allow("/meetings/abc").as_deref(), Some("GET, HEAD"));
        for unknown in [
            "/meetings",
            "/v1",
            "/v1/meetings/a/b",
            "/v1/sources//imports",
            "/nothing",
        ] {
            assert_eq!(routes.allow(unknown), None, "{unknown}");
        }
    }
}
