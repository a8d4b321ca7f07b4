//! One message of the schema, from protobuf bytes to the JSON object Go would marshal from it.
//!
//! Go's protobuf code writes every value field (even `""`, `0`, `false`, empty structs) and
//! pointer fields only when set; Go's JSON leaves out zero values of `omitempty` fields,
//! never structs, and writes `null` for unset pointers, lists and maps without `omitempty`.
//! The schema records which is which, so the JSON is what kubectl would have sent as JSON.

use super::error::ProtobufError;
use super::schema::{Field, Message, Schema, Shape, Ty};
use super::special;
use super::wire::{Fields, WireValue, packed_fixed, packed_varints};
use base64::Engine as _;
use serde_json::{Map, Number, Value};

/// How deep messages may nest.
pub const MAX_DEPTH: usize = 64;

/// Decodes `bytes` as message `msg` into a JSON object.
///
/// # Errors
///
/// A [`ProtobufError`] for broken wire data, wrong wire types, values without a JSON form and
/// nesting deeper than [`MAX_DEPTH`].
pub fn message(
    schema: &Schema,
    msg: &Message,
    bytes: &[u8],
    depth: usize,
) -> Result<Map<String, Value>, ProtobufError> {
    if depth > MAX_DEPTH {
        return Err(ProtobufError::TooDeep(MAX_DEPTH));
    }
    let mut seen: Vec<Vec<WireValue<'_>>> = vec![Vec::new(); msg.fields.len()];
    for item in Fields::new(bytes) {
        let (number, value) = item?;
        // Unknown fields are skipped, as Go's generated code does.
        if let Some(i) = msg.fields.iter().position(|f| f.number == number) {
            seen[i].push(value);
        }
    }
    let mut out = Map::new();
    let mut inlined = Vec::new();
    for (field, values) in msg.fields.iter().zip(&seen) {
        let ctx = Ctx {
            schema,
            msg,
            field,
            depth,
        };
        if field.inline {
            if let Value::Object(m) = ctx.single(values)? {
                inlined.push(m);
            }
            continue;
        }
        if let Some(v) = ctx.field(values)? {
            out.insert(field.json.clone(), v);
        }
    }
    // Fields of the outer struct win over promoted ones, as in Go.
    for m in inlined {
        for (k, v) in m {
            out.entry(k).or_insert(v);
        }
    }
    Ok(out)
}

struct Ctx<'s> {
    schema: &'s Schema,
    msg: &'s Message,
    field: &'s Field,
    depth: usize,
}

impl Ctx<'_> {
    fn wire_error(&self, v: &WireValue<'_>) -> ProtobufError {
        ProtobufError::WireType {
            message: self.msg.name.clone(),
            field: self.field.json.clone(),
            wire_type: v.wire_type(),
        }
    }

    fn bad_value(&self, problem: String) -> ProtobufError {
        ProtobufError::BadValue {
            message: self.msg.name.clone(),
            field: self.field.json.clone(),
            problem,
        }
    }

    /// The field's JSON value, or `None` when Go leaves it out.
    fn field(&self, values: &[WireValue<'_>]) -> Result<Option<Value>, ProtobufError> {
        let f = self.field;
        let absent = if f.omitempty || f.omitzero {
            None
        } else {
            Some(Value::Null)
        };
        match f.shape {
            Shape::List => {
                let items = self.list(values)?;
                Ok(if items.is_empty() {
                    absent
                } else {
                    Some(Value::Array(items))
                })
            }
            Shape::Map => {
                let entries = self.map(values)?;
                Ok(if entries.is_empty() {
                    absent
                } else {
                    Some(Value::Object(entries))
                })
            }
            Shape::Single if values.is_empty() && f.pointer => Ok(absent),
            Shape::Single if f.pointer => self.single(values).map(Some),
            Shape::Single => {
                let v = if values.is_empty() {
                    self.zero(f.ty)?
                } else {
                    self.single(values)?
                };
                let omit = (f.omitempty && is_empty_scalar(f.ty, &v))
                    || (f.omitzero && (v.is_null() || is_empty_scalar(f.ty, &v)));
                Ok(if omit { None } else { Some(v) })
            }
        }
    }

    /// One value from all occurrences: the last scalar, or all message parts merged.
    fn single(&self, values: &[WireValue<'_>]) -> Result<Value, ProtobufError> {
        if is_length_delimited(self.field.ty) {
            let mut bytes = Vec::new();
            for v in values {
                match v {
                    WireValue::Len(b) => bytes.extend_from_slice(b),
                    other => return Err(self.wire_error(other)),
                }
            }
            return self.value(self.field.ty, WireValue::Len(&bytes));
        }
        match values.last() {
            Some(v) => self.value(self.field.ty, *v),
            None => self.zero(self.field.ty),
        }
    }

    fn list(&self, values: &[WireValue<'_>]) -> Result<Vec<Value>, ProtobufError> {
        let ty = self.field.ty;
        let mut out = Vec::new();
        for v in values {
            match (v, packed_width(ty)) {
                (WireValue::Len(b), Some(width)) => {
                    let raw = match width {
                        0 => packed_varints(b)?,
                        w => packed_fixed(b, w)?,
                    };
                    for x in raw {
                        let wv = match width {
                            0 => WireValue::Varint(x),
                            4 => WireValue::Fixed32(u32::try_from(x).unwrap_or_default()),
                            _ => WireValue::Fixed64(x),
                        };
                        out.push(self.value(ty, wv)?);
                    }
                }
                _ => out.push(self.value(ty, *v)?),
            }
        }
        Ok(out)
    }

    fn map(&self, values: &[WireValue<'_>]) -> Result<Map<String, Value>, ProtobufError> {
        let mut out = Map::new();
        for v in values {
            let WireValue::Len(entry) = v else {
                return Err(self.wire_error(v));
            };
            let (mut key, mut val) = (String::new(), None);
            for item in Fields::new(entry) {
                match item? {
                    (1, WireValue::Len(k)) => key = String::from_utf8_lossy(k).into_owned(),
                    (2, wv) => val = Some(self.value(self.field.ty, wv)?),
                    (1, other) => return Err(self.wire_error(&other)),
                    _ => {}
                }
            }
            let val = match val {
                Some(v) => v,
                None => self.zero(self.field.ty)?,
            };
            out.insert(key, val);
        }
        Ok(out)
    }

    /// The JSON of a Go value that was not sent (a zero value field).
    fn zero(&self, ty: Ty) -> Result<Value, ProtobufError> {
        Ok(match ty {
            Ty::String => Value::String(String::new()),
            Ty::Bool => Value::Bool(false),
            Ty::Int32 | Ty::Int64 | Ty::Uint32 | Ty::Uint64 | Ty::Float | Ty::Double => {
                Value::from(0)
            }
            Ty::Bytes => Value::Null,
            Ty::Message(_) => self.value(ty, WireValue::Len(&[]))?,
            _ => special::zero(ty),
        })
    }

    fn value(&self, ty: Ty, v: WireValue<'_>) -> Result<Value, ProtobufError> {
        Ok(match (ty, v) {
            (Ty::String, WireValue::Len(b)) => {
                Value::String(String::from_utf8_lossy(b).into_owned())
            }
            (Ty::Bytes, WireValue::Len(b)) => {
                Value::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            (Ty::Bool, WireValue::Varint(x)) => Value::Bool(x != 0),
            (Ty::Int32, WireValue::Varint(x)) => Value::from(x as i32),
            (Ty::Int64, WireValue::Varint(x)) => Value::from(x as i64),
            (Ty::Uint32, WireValue::Varint(x)) => Value::from(x as u32),
            (Ty::Uint64, WireValue::Varint(x)) => Value::from(x),
            (Ty::Float, WireValue::Fixed32(x)) => self.float(f64::from(f32::from_bits(x)))?,
            (Ty::Double, WireValue::Fixed64(x)) => self.float(f64::from_bits(x))?,
            (Ty::Message(i), WireValue::Len(b)) => {
                let msg = self
                    .schema
                    .messages
                    .get(i)
                    .ok_or_else(|| ProtobufError::Schema(format!("no message {i}")))?;
                Value::Object(message(self.schema, msg, b, self.depth + 1)?)
            }
            (ty, WireValue::Len(b)) if is_length_delimited(ty) => {
                special::decode(ty, b).map_err(|p| self.bad_value(p))?
            }
            (_, other) => return Err(self.wire_error(&other)),
        })
    }

    /// A float as Go's JSON writes it: integral values without a fraction; NaN and ±Inf fail.
    fn float(&self, x: f64) -> Result<Value, ProtobufError> {
        if x.fract() == 0.0 && x.abs() < 1e15 {
            return Ok(Value::from(x as i64));
        }
        Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| self.bad_value(format!("{x} has no JSON form")))
    }
}

fn is_length_delimited(ty: Ty) -> bool {
    !matches!(
        ty,
        Ty::Bool | Ty::Int32 | Ty::Int64 | Ty::Uint32 | Ty::Uint64 | Ty::Float | Ty::Double
    )
}

/// For packable scalar types: 0 for varints, else the fixed width in bytes.
fn packed_width(ty: Ty) -> Option<usize> {
    match ty {
        Ty::Bool | Ty::Int32 | Ty::Int64 | Ty::Uint32 | Ty::Uint64 => Some(0),
        Ty::Float => Some(4),
        Ty::Double => Some(8),
        _ => None,
    }
}

/// Whether Go's `omitempty` leaves the value out: `""`, `0`, `false`, empty `[]byte`.
/// Structs (messages and the special types) are never left out.
fn is_empty_scalar(ty: Ty, v: &Value) -> bool {
    match ty {
        Ty::String | Ty::Bytes => v.as_str().is_none_or(str::is_empty),
        Ty::Bool => v == &Value::Bool(false),
        Ty::Int32 | Ty::Int64 | Ty::Uint32 | Ty::Uint64 | Ty::Float | Ty::Double => {
            v.as_f64() == Some(0.0)
        }
        _ => false,
    }
}
