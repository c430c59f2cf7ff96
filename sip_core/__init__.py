"""The embedded SIP registrar and proxy for the managed handsets.

Not built yet (its own issue): this package is reserved so the layout matches ARCHITECTURE.md.
It must import nothing else of ours; it will be given a small directory interface at start-up.
"""
