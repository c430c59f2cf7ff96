"""The embedded SIP registrar and proxy for the managed handsets.

Read in this order: `transport` (sockets) -> `core` (guards, dispatch) -> `transaction` (RFC 3261 §17) ->
`registrar` (REGISTER, with `auth`, `managed` and `location`) or `proxy` (calls, with `routing`, `numbering`
and `fraud`); `notify` sends re-sync NOTIFYs. It imports nothing else of ours: the server gives it a
`directory.Directory`, a `location.BindingStore` and a `recorder.Recorder` at start-up.
"""
