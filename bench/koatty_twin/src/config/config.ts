// Port from bench/listen.py (PORT); loopback only.
export default {
  app_host: "127.0.0.1",
  app_port: Number(process.env.PORT || 3101),
  protocol: "http",
  logs_level: "warn",
};
