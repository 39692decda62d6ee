"""Loaded by schemathesis (SCHEMATHESIS_HOOKS) in SchemathesisTests.

tus chunks are raw bytes under their own media type, application/offset+octet-stream, which schemathesis does not
know: it serializes them as it does application/octet-stream.
"""
import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
