//! The OpenAPI 3 document of the APIs, generated from the handlers' annotations (utoipa) and
//! served at `/api/openapi.json`. The schema types here describe the wire formats; the handlers
//! read the same fields through [`super::form`].

use axum::Json;
use utoipa::{OpenApi, ToSchema};

/// `multipart/form-data` for `POST /api/v1/cutouts` (the same fields work as JSON, form fields
/// or query parameters, with `image_b64` instead of the file).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CutoutForm {
    /// The photo: JPEG, PNG or WebP, up to the upload limit (25 MB, 50 MP by default).
    #[schema(content_media_type = "application/octet-stream")]
    pub image: Vec<u8>,
    /// A background photo instead of transparency.
    #[schema(content_media_type = "application/octet-stream")]
    pub bg_image: Option<Vec<u8>>,
    /// `png` (default), `webp`, `jpg`, `mask` (8-bit alpha PNG) or `zip` (color.jpg + alpha.png).
    pub format: Option<String>,
    /// `full` (default, 1024² model input), `preview` (768²) or 256–1024 in steps of 32.
    #[schema(schema_with = string_or_integer)]
    pub size: Option<String>,
    /// A background colour: `#rrggbb`, `#rgb`, with an alpha `#rrggbbaa` or `#rgba` (a see-through
    /// colour leaves the result partly transparent), or a basic colour name.
    pub bg_color: Option<String>,
    /// `transparent` (default) or `blur` (the photo's background without the subject, blurred).
    pub background: Option<String>,
    /// Crop to the subject.
    #[schema(schema_with = flag)]
    pub crop: Option<bool>,
    /// Margin around the subject when cropping: `20px` or `10%` (at most 500px or 50%), or two
    /// (top and bottom, left and right) or four values (top, right, bottom, left).
    #[schema(schema_with = string_or_integer)]
    pub crop_margin: Option<String>,
    /// remove.bg's region of interest, `x1 y1 x2 y2` in px or %: only what lies inside can be
    /// the subject.
    pub roi: Option<String>,
    /// `original` (default) or `10%`–`100%`: the subject fills that share of the result.
    pub scale: Option<String>,
    /// `original`, `center`, or `x% y%` (0–100): where the subject sits.
    pub position: Option<String>,
    /// `WxH`: the result on a canvas of this size (each side up to 10000, at most 50 MP).
    pub output_size: Option<String>,
    /// With `output_size`: `contain` (default; the whole result inside) or `cover`.
    pub fit: Option<String>,
    /// With `fit=contain`: free space on every side, `40px` or `5%` of the shorter side.
    #[schema(schema_with = string_or_integer)]
    pub padding: Option<String>,
    /// `amazon` (white, 2000×2000, subject filling 85 %) or `ebay` (white, 1600×1600, 90 %).
    pub preset: Option<String>,
    /// `none` (default), `drop` or `contact`.
    pub shadow: Option<String>,
    /// 0–100 (default 50).
    #[schema(schema_with = string_or_integer)]
    pub shadow_opacity: Option<String>,
    /// 0–100: from a hard edge to a wide blur.
    #[schema(schema_with = string_or_integer)]
    pub shadow_softness: Option<String>,
    /// `x y`, each −100 to 100 (percent of the subject's larger side, right and down).
    pub shadow_offset: Option<String>,
    /// An outline around the subject, 0 (none) to 200 pixels.
    #[schema(schema_with = string_or_integer)]
    pub outline_width: Option<String>,
    /// The outline's colour (default white), as `bg_color`.
    pub outline_color: Option<String>,
    /// `none` (default) or `guided`: the mask's edges refined by the photo (fast guided filter).
    pub refine: Option<String>,
}

/// A text option that may also be sent as a JSON number (`"size": 512`, `"crop_margin": 20` for
/// pixels), or null.
fn string_or_integer() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(ObjectBuilder::new().schema_type(Type::Integer))
            // JSON null means "not given", as for every optional field.
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .build(),
    )
}

/// A yes/no option: a JSON boolean, `"true"`/`"false"` (form fields are text), `1`/`0`, or null.
fn flag() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["true", "false", "1", "0", "yes", "no"])),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .enum_values(Some([0, 1])),
            )
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .build(),
    )
}

/// An 8×8 PNG, base64: the request examples, so a tool reading this document (schemathesis) can
/// reach a successful cutout.
pub const EXAMPLE_PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAJUlEQVR4nGNgYGBQUFBwcHBISEhoaGhYsGDBgQMHHjx4wDC0JABYmVQBZ/BRiwAAAABJRU5ErkJggg==";

/// `POST /api/v1/cutouts` as JSON (or `application/x-www-form-urlencoded`): the photo base64.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CutoutJson {
    /// The photo, base64 (a `data:` URL prefix is allowed); at most ¾ of the upload limit.
    pub image_b64: String,
    /// A background photo, base64.
    pub bg_image_b64: Option<String>,
    /// `png` (default), `webp`, `jpg`, `mask` or `zip`.
    pub format: Option<String>,
    /// `full` (default), `preview` or 256–1024 in steps of 32.
    #[schema(schema_with = string_or_integer)]
    pub size: Option<String>,
    pub bg_color: Option<String>,
    /// `transparent` (default) or `blur`.
    pub background: Option<String>,
    #[schema(schema_with = flag)]
    pub crop: Option<bool>,
    /// `20px` or `10%` (at most 500px or 50%), or two or four values.
    #[schema(schema_with = string_or_integer)]
    pub crop_margin: Option<String>,
    /// remove.bg's region of interest, `x1 y1 x2 y2` in px or %: only what lies inside can be
    /// the subject.
    pub roi: Option<String>,
    /// `original` (default) or `10%`–`100%`: the subject fills that share of the result.
    pub scale: Option<String>,
    /// `original`, `center`, or `x% y%` (0–100): where the subject sits.
    pub position: Option<String>,
    /// `WxH`: the result on a canvas of this size (each side up to 10000, at most 50 MP).
    pub output_size: Option<String>,
    /// With `output_size`: `contain` (default; the whole result inside) or `cover`.
    pub fit: Option<String>,
    /// With `fit=contain`: free space on every side, `40px` or `5%` of the shorter side.
    #[schema(schema_with = string_or_integer)]
    pub padding: Option<String>,
    /// `amazon` (white, 2000×2000, subject filling 85 %) or `ebay` (white, 1600×1600, 90 %).
    pub preset: Option<String>,
    /// `none` (default), `drop` or `contact`.
    pub shadow: Option<String>,
    /// 0–100 (default 50).
    #[schema(schema_with = string_or_integer)]
    pub shadow_opacity: Option<String>,
    /// 0–100: from a hard edge to a wide blur.
    #[schema(schema_with = string_or_integer)]
    pub shadow_softness: Option<String>,
    /// `x y`, each −100 to 100 (percent of the subject's larger side, right and down).
    pub shadow_offset: Option<String>,
    /// An outline around the subject, 0 (none) to 200 pixels.
    #[schema(schema_with = string_or_integer)]
    pub outline_width: Option<String>,
    /// The outline's colour (default white), as `bg_color`.
    pub outline_color: Option<String>,
    /// `none` (default) or `guided`: the mask's edges refined by the photo (fast guided filter).
    pub refine: Option<String>,
}

/// The JSON answer of `POST /api/v1/cutouts` with `Accept: application/json`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CutoutCreated {
    pub result: CutoutResult,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CutoutResult {
    /// `/r/{id}?key=…`: the only way to fetch the result again; the server does not keep the key.
    pub url: String,
    /// RFC 3339; 7 days after creation.
    pub expires_at: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub foreground: Foreground,
}

/// Where the subject is in the result, in pixels.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Foreground {
    pub top: u32,
    pub left: u32,
    pub width: u32,
    pub height: u32,
}

/// The native error body: `{"error": {"status": 422, "message": "…"}}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    pub status: u16,
    /// A sentence a person can act on.
    pub message: String,
}

/// remove.bg's request fields (multipart, JSON or urlencoded).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RemoveBgForm {
    #[schema(content_media_type = "application/octet-stream")]
    pub image_file: Option<Vec<u8>>,
    /// The photo, base64-encoded (JSON and urlencoded bodies).
    pub image_file_b64: Option<String>,
    /// Fetched only where the operator enabled it, and only from public addresses.
    pub image_url: Option<String>,
    /// `preview` (default, ≤ 0.25 MP), `full`, `50MP`, `auto`; legacy `small`, `regular`, `medium`, `hd`, `4k`.
    #[schema(schema_with = string_or_integer)]
    pub size: Option<String>,
    /// `auto` (default), `png`, `jpg`, `webp`, `zip`.
    pub format: Option<String>,
    /// `rgba` (default) or `alpha`.
    pub channels: Option<String>,
    pub bg_color: Option<String>,
    #[schema(content_media_type = "application/octet-stream")]
    pub bg_image_file: Option<Vec<u8>>,
    #[schema(schema_with = flag)]
    pub crop: Option<bool>,
    /// `20px` or `10%` (at most 500px or 50%).
    #[schema(schema_with = string_or_integer)]
    pub crop_margin: Option<String>,
    /// Accepted for compatibility; imgigo does not classify the subject.
    #[schema(rename = "type")]
    pub kind: Option<String>,
    /// Accepted for compatibility and ignored, like `type`.
    pub type_level: Option<String>,
    /// A background photo fetched by URL (same rules as `image_url`).
    pub bg_image_url: Option<String>,
    /// The background photo, base64-encoded.
    pub bg_image_file_b64: Option<String>,
    /// Legacy: `true` adds a drop shadow (as `shadow_type=drop`).
    #[schema(schema_with = flag)]
    pub add_shadow: Option<bool>,
    /// `none` (default), `drop`, or `3D`/`car` (a contact shadow on the ground).
    pub shadow_type: Option<String>,
    /// 0–100 (default 50).
    #[schema(schema_with = string_or_integer)]
    pub shadow_opacity: Option<String>,
    /// Only `true`: soft edges are always kept.
    #[schema(schema_with = flag)]
    pub semitransparency: Option<bool>,
    /// `original` (default) or `10%`–`100%`: the subject fills that share of the result (and is
    /// centred unless `position` says otherwise).
    pub scale: Option<String>,
    /// `original`, `center`, or one or two values `0%`–`100%` (across, down).
    pub position: Option<String>,
    /// Region of interest `x1 y1 x2 y2`, each in px or %; default `0% 0% 100% 100%`.
    pub roi: Option<String>,
}

/// remove.bg's request as JSON (or `application/x-www-form-urlencoded`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RemoveBgJson {
    /// The photo, base64-encoded.
    pub image_file_b64: Option<String>,
    /// Fetched only where the operator enabled it, and only from public addresses.
    pub image_url: Option<String>,
    /// `preview` (default), `full`, `auto`; legacy `small`, `regular`, `medium`, `hd`, `4k`.
    #[schema(schema_with = string_or_integer)]
    pub size: Option<String>,
    /// `auto` (default), `png`, `jpg`, `webp`, `zip`.
    pub format: Option<String>,
    /// `rgba` (default) or `alpha`.
    pub channels: Option<String>,
    pub bg_color: Option<String>,
    pub bg_image_file_b64: Option<String>,
    #[schema(schema_with = flag)]
    pub crop: Option<bool>,
    #[schema(schema_with = string_or_integer)]
    pub crop_margin: Option<String>,
    pub roi: Option<String>,
    pub scale: Option<String>,
    pub position: Option<String>,
    pub shadow_type: Option<String>,
    #[schema(schema_with = string_or_integer)]
    pub shadow_opacity: Option<String>,
}

/// remove.bg's JSON answer with `Accept: application/json`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RemoveBgResult {
    pub data: RemoveBgData,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RemoveBgData {
    pub result_b64: String,
    pub foreground_top: u32,
    pub foreground_left: u32,
    pub foreground_width: u32,
    pub foreground_height: u32,
}

/// remove.bg's error body: `{"errors": [{"title", "code", "detail"}]}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RemoveBgErrors {
    pub errors: Vec<RemoveBgError>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RemoveBgError {
    pub title: String,
    pub code: String,
    pub detail: String,
}

/// `X-Api-Key`: optional on the cutout routes (it swaps the anonymous per-address limit for the
/// key's own), required by `GET /v1.0/account`.
struct ApiKeyScheme;

impl utoipa::Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "An API key from your account page (imgigo_…). Optional on the cutout routes: without it calls are anonymous and limited per address.",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    modifiers(&ApiKeyScheme),
    info(
        title = "imgigo API",
        description = "Private, self-hostable background removal. Uploads stay in memory; results are encrypted under a key only the link holds and destroyed after 7 days."
    ),
    paths(
        super::native::create,
        super::native::download,
        super::native::remove,
        super::removebg::remove_background,
        super::removebg::account,
        super::library::search,
        super::library::image
    )
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
