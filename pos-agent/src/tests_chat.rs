//! Tests of the chat at the till.
