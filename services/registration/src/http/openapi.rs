//! The OpenAPI 3 document of the whole HTTP API, served at `/openapi.json`.
//!
//! It is written by `api/gen_openapi.py` and committed; the test below keeps its paths and
//! methods identical to the route table, and schemathesis (`make test`) checks the running
//! service's answers against it.

use axum::http::header;
use axum::response::IntoResponse;

/// The document, as committed.
pub const DOCUMENT: &str = include_str!("../../api/openapi.json");

/// `GET /openapi.json`.
pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn documents_exactly_the_routes_the_service_serves() {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).expect("valid JSON");
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object()
                    .expect("operations")
                    .keys()
                    .map(move |m| (m.to_uppercase(), path.clone()))
            })
            .collect();
        let served: BTreeSet<(String, String)> = super::super::route_table()
            .into_iter()
            .map(|(m, p)| (m.to_string(), p.to_owned()))
            .chain(["/healthz", "/readyz"].map(|p| ("GET".to_owned(), p.to_owned())))
            .collect();
        assert_eq!(documented, served, "api/openapi.json and the route table differ: run api/gen_openapi.py after changing routes");
    }
}
