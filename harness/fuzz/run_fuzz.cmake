# Runs the fuzzer for a bounded time on a fresh copy of the seed corpus, so the
# repository's corpus is never modified. Fails on any crash, leak, timeout or
# sanitizer report (libFuzzer exits non-zero).
#   -D FUZZER=… -D CORPUS=… -D WORK=… -D SECONDS=…
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
file(GLOB seeds "${CORPUS}/*")
file(COPY ${seeds} DESTINATION "${WORK}/corpus")
execute_process(
  COMMAND "${FUZZER}" "${WORK}/corpus" -max_total_time=${SECONDS} -timeout=10
          -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} exited with ${rc}; the input is in ${WORK}/artifacts")
endif()
