//! The JSON shapes of the wire types.
