"""The koatty_lite demo app: a controller, a service with injected config, a middleware, an exception handler."""
