//! A query-string extractor that, unlike axum's `Query`, answers a malformed query with RFC
//! 9457 problem JSON naming the parameter, as every other bad input is answered.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or_default()).map(QueryParams)
    }
}

fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    serde_urlencoded::from_str(query).map_err(|e| {
        ApiError::malformed(format!(
            "the query string is not valid for this endpoint: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::parse_query;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Filter {
        skip_invalid: Option<bool>,
        person_id: Option<String>,
    }

    #[test]
    fn a_bad_query_is_a_problem_naming_what_is_wrong() {
        let detail = |q: &str| parse_query::<Filter>(q).unwrap_err().detail;
        assert!(
            detail("skip_invalid=perhaps").contains("provided string was not `true` or `false`")
        );
        assert!(detail("colour=red").contains("unknown field `colour`"));
        let good: Filter = parse_query("skip_invalid=true&person_id=P0001").unwrap();
        assert_eq!(
            good,
            Filter {
                skip_invalid: Some(true),
                person_id: Some("P0001".into())
            }
        );
        let empty: Filter = parse_query("").unwrap();
        assert_eq!(
            empty,
            Filter {
                skip_invalid: None,
                person_id: None
            }
        );
    }
}
