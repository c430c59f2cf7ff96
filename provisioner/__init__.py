"""The provisioning server: configuration, storage, HTTP and TFTP front ends, REST API, staff pages and CLI."""
