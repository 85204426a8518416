//! The error answers every operation shares: [`finish`] registers them once under
//! `components.responses` and references them from each operation that can give them, from
//! what the operation takes (a token, path ids, a query string, a body), so a document
//! lists the 400/401/403/408/413/415/422/431/500/503 answers where they occur. It also adds
//! the bearer security scheme and the error envelope's schemas.

use utoipa::PartialSchema;
use utoipa::ToSchema;
use utoipa::openapi::path::{HttpMethod, Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::error::{ErrorBody, ErrorDetail};

/// A shared error answer: status, name in `components.responses`, and what it means.
struct Shared {
    status: &'static str,
    name: &'static str,
    description: &'static str,
    json: bool,
}

const UNAUTHORIZED: Shared = Shared {
    status: "401",
    name: "Unauthorized",
    description: "`unauthorized`: missing, malformed, unknown or revoked API token",
    json: true,
};
const FORBIDDEN: Shared = Shared {
    status: "403",
    name: "Forbidden",
    description: "`forbidden`: a read-only token attempted a write",
    json: true,
};
const BAD_REQUEST: Shared = Shared {
    status: "400",
    name: "BadRequest",
    description: "`invalid_path` (an id that is not a positive integer), `invalid_query` (a wrong \
                  type, value or unknown parameter), `invalid_body` (malformed JSON, wrong types, \
                  unknown fields) or `bad_request`; `field` names the culprit",
    json: true,
};
const BODY_TIMEOUT: Shared = Shared {
    status: "408",
    name: "RequestTimeout",
    description: "`request_timeout`: the body stalled longer than ELDER_HTTP_BODY_TIMEOUT_SECS",
    json: true,
};
const TOO_LARGE: Shared = Shared {
    status: "413",
    name: "PayloadTooLarge",
    description: "`payload_too_large`: the body is larger than the server accepts",
    json: true,
};
const MEDIA_TYPE: Shared = Shared {
    status: "415",
    name: "UnsupportedMediaType",
    description: "`unsupported_media_type`: the body is not sent as `application/json`",
    json: true,
};
const VALIDATION: Shared = Shared {
    status: "422",
    name: "ValidationFailed",
    description: "`validation_failed` (or another code of the vocabulary): a rule is broken; \
                  `field` names it",
    json: true,
};
const HEADERS_TOO_LARGE: Shared = Shared {
    status: "431",
    name: "HeadersTooLarge",
    description: "the request's headers are larger than the server reads (no body; the \
                  connection is closed)",
    json: false,
};
const INTERNAL: Shared = Shared {
    status: "500",
    name: "Internal",
    description: "`internal`: an unexpected failure; see the service log",
    json: true,
};
const UNAVAILABLE: Shared = Shared {
    status: "503",
    name: "Unavailable",
    description: "`overloaded` (every request slot is taken; `Retry-After: 1`), \
                  `request_timeout` (ELDER_HTTP_REQUEST_TIMEOUT_SECS) or `unavailable`",
    json: true,
};

const ALL_SHARED: [&Shared; 10] = [
    &UNAUTHORIZED,
    &FORBIDDEN,
    &BAD_REQUEST,
    &BODY_TIMEOUT,
    &TOO_LARGE,
    &MEDIA_TYPE,
    &VALIDATION,
    &HEADERS_TOO_LARGE,
    &INTERNAL,
    &UNAVAILABLE,
];

impl Shared {
    fn response(&self) -> Response {
        let builder = ResponseBuilder::new().description(self.description);
        let builder = if self.json {
            builder.content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
        } else {
            builder
        };
        builder.build()
    }
}

/// Adds the bearer scheme, the envelope and the shared error answers to `doc`, the latter registered once under `components.responses`
/// and referenced by every operation they can come from. An answer an operation documents
/// itself (same status) is kept.
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components
        .schemas
        .insert(ErrorBody::name().into_owned(), ErrorBody::schema());
    components
        .schemas
        .insert(ErrorDetail::name().into_owned(), ErrorDetail::schema());
    for shared in ALL_SHARED {
        components
            .responses
            .insert(shared.name.to_string(), RefOr::T(shared.response()));
    }
    for item in doc.paths.paths.values_mut() {
        for (method, op) in operations(item) {
            for shared in shared_for(method, op) {
                op.responses
                    .responses
                    .entry(shared.status.to_string())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(shared.name)));
            }
        }
    }
}

fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = (HttpMethod, &mut Operation)> {
    [
        (HttpMethod::Get, item.get.as_mut()),
        (HttpMethod::Put, item.put.as_mut()),
        (HttpMethod::Post, item.post.as_mut()),
        (HttpMethod::Delete, item.delete.as_mut()),
        (HttpMethod::Head, item.head.as_mut()),
        (HttpMethod::Patch, item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
}

/// Which shared answers `op` can give, from what it takes.
fn shared_for(method: HttpMethod, op: &Operation) -> Vec<&'static Shared> {
    let mut out = vec![&HEADERS_TOO_LARGE, &INTERNAL, &UNAVAILABLE];
    if needs_token(op) {
        out.push(&UNAUTHORIZED);
        if !matches!(method, HttpMethod::Get | HttpMethod::Head) {
            out.push(&FORBIDDEN);
        }
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    if params.iter().any(|p| p.parameter_in == ParameterIn::Path) {
        out.push(&BAD_REQUEST);
    }
    if params.iter().any(|p| p.parameter_in == ParameterIn::Query) {
        out.extend([&BAD_REQUEST, &VALIDATION]);
    }
    if let Some(body) = &op.request_body {
        out.extend([&BODY_TIMEOUT, &TOO_LARGE]);
        if body.content.contains_key("application/json") {
            out.extend([&BAD_REQUEST, &MEDIA_TYPE, &VALIDATION]);
        }
    }
    out
}

/// Everything but an operation declaring `security(())` (webhooks) needs a token.
fn needs_token(op: &Operation) -> bool {
    match &op.security {
        None => true,
        Some(reqs) => !reqs
            .iter()
            .any(|r| serde_json::to_value(r).is_ok_and(|v| v == serde_json::json!({}))),
    }
}
