//! Why a protobuf body could not be turned into JSON.

/// An error decoding a Kubernetes protobuf body. Every variant becomes a 415 `Status`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtobufError {
    /// The body does not start with the 4 magic bytes `k8s\0`.
    #[error("the body does not start with the Kubernetes protobuf magic k8s\\0")]
    NoMagic,
    /// The wire format is broken (truncated, an overlong varint, a group, ...).
    #[error("malformed protobuf at byte {offset}: {problem}")]
    Malformed {
        /// Offset in the message being read.
        offset: usize,
        /// What is wrong.
        problem: &'static str,
    },
    /// A field arrived with a wire type its schema does not allow.
    #[error("field {field} of {message} has wire type {wire_type}, which its type does not use")]
    WireType {
        /// Message name.
        message: String,
        /// JSON name of the field.
        field: String,
        /// Wire type seen.
        wire_type: u8,
    },
    /// A value that has no JSON form (e.g. an unparsable Quantity or an IntOrString type).
    #[error("field {field} of {message}: {problem}")]
    BadValue {
        /// Message name.
        message: String,
        /// JSON name of the field.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// The envelope names a kind the simulator has no protobuf schema for.
    #[error("no protobuf schema for kind {kind} of apiVersion {api_version}")]
    UnknownKind {
        /// `apiVersion` from the envelope.
        api_version: String,
        /// `kind` from the envelope.
        kind: String,
    },
    /// The envelope carries a `contentEncoding` (compression) the simulator does not undo.
    #[error("content encoding {0:?} of the embedded object is not supported")]
    ContentEncoding(String),
    /// Messages nested deeper than the decoder follows.
    #[error("messages are nested more than {0} levels deep")]
    TooDeep(usize),
    /// The schema embedded in the simulator could not be read (a bug of the simulator).
    #[error("the embedded protobuf schema is broken: {0}")]
    Schema(String),
}

/// A body that could not be decoded, with the kind its envelope named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode the protobuf body of kind {kind:?} (apiVersion {api_version:?}): {source}")]
pub struct BodyError {
    /// `apiVersion` from the envelope (empty when the envelope is unreadable).
    pub api_version: String,
    /// `kind` from the envelope (empty when the envelope is unreadable).
    pub kind: String,
    /// Why.
    #[source]
    pub source: ProtobufError,
}

impl ProtobufError {
    /// A [`Malformed`](Self::Malformed) error.
    pub(super) fn malformed(offset: usize, problem: &'static str) -> Self {
        Self::Malformed { offset, problem }
    }
}
