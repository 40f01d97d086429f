{
  "targets": [
    {
      "target_name": "peercred",
      "sources": ["src/peer/native/peercred.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
