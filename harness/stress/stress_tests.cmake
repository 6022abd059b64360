# ctest's stress list, made each time ctest reads the build's stress directory
# (TEST_INCLUDE_FILES) from the variants `ringlab_stress --list-variants`
# prints, so that every variant of the registry (harness/common/variants.hpp)
# runs here and nothing names one by hand. Set by the includer: STRESS (the
# binary), STRESS_FRAMES, STRESS_SECONDS, STRESS_JSON_DIR.
#
# Shapes, by the variant's traits (W: 2 writers, or 1 where writers=single):
#   laps     capacity 1, W writers on the one slot (lapped writers when W is 2),
#            one cursor reader and one slot watcher; counters cross 2^32.
#   cursors  capacity 256, W writers, two cursor readers (the poll path);
#            counters cross 2^40.
#   trickle  waits=1: one writer waits for both readers to consume each frame,
#            so the readers wait between frames and a missed wake-up cannot
#            hide behind the next frame's signal. 20000 frames: each a round
#            trip through the readers. Not for wait=busy-spin: a spinning wait
#            has no wake-up to lose, and two spinning readers starve the
#            writer on a 2-core machine (15280 frames in 120 s).
#   sleepers wait=blocking: trickle with 4 readers over the variant's ring with
#            --preempt_sleepers (harness/stress/preempted.hpp): each sleeper
#            yields between its last look and its futex wait, so a
#            writer that signals without the sleepers' mutex loses a wake-up in
#            most frames (that mutant failed 10 runs of 10 here, plain trickle 3
#            of 7). 20000 frames checked (5000 a reader): 0.6 to 1.2 s on a
#            2-core machine; at most 60 s (a run with lost wake-ups takes that).
#   xproc    shareable=1: cursors across processes, every role a forked
#            process over one ring in POSIX shared memory, counters crossing
#            2^40 (the segment's header records the first counter). A
#            fifth of the cursors budget: four processes share 2 cores and
#            their readers fall further behind than threads do; 10^6 frames take
#            4 to 16 s on a 2-core machine, idle to loaded (up to 20 s under
#            ThreadSanitizer).
#   batch    cursors with writers claiming 8 counters at a time (Ring::claim_batch),
#            a tenth of the cursors budget.
#   loan     lends=1: laps with every frame filled in place (Ring::loan), so that
#            with two writers loans are superseded by lapping writers all the
#            time; a tenth of the cursors budget.
# laps and cursors check half of STRESS_FRAMES each; role=baseline variants
# (the locked reference) a tenth of every budget but trickle's.
if(NOT EXISTS "${STRESS}")
  add_test(ringlab_stress_NOT_BUILT ringlab_stress_NOT_BUILT)
  set_tests_properties(ringlab_stress_NOT_BUILT PROPERTIES LABELS stress)
  return()
endif()
execute_process(COMMAND "${STRESS}" --list-variants OUTPUT_VARIABLE listing
                RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0 OR listing STREQUAL "")
  add_test(ringlab_stress_LIST_VARIANTS_FAILED ringlab_stress_LIST_VARIANTS_FAILED)
  set_tests_properties(ringlab_stress_LIST_VARIANTS_FAILED PROPERTIES LABELS stress)
  return()
endif()

math(EXPR half "${STRESS_FRAMES} / 2" OUTPUT_FORMAT DECIMAL)
string(REPLACE "\n" ";" lines "${listing}")
foreach(line IN LISTS lines)
  if(NOT line MATCHES "^([^ ]+) (.*)$")
    continue()
  endif()
  set(variant "${CMAKE_MATCH_1}")
  set(fields " ${CMAKE_MATCH_2} ")
  set(writers 2)
  if(fields MATCHES " writers=single ")
    set(writers 1)
  endif()
  set(args_laps --capacity=1 --writers=${writers} --readers=1 --watchers=1 --payload=48)
  set(args_cursors --capacity=256 --writers=${writers} --readers=2 --watchers=0 --payload=48
      --first_counter=1099511527776)
  set(args_trickle --capacity=64 --writers=1 --readers=2 --watchers=0 --payload=48 --trickle)
  set(args_sleepers --capacity=64 --writers=1 --readers=4 --watchers=0 --payload=48 --trickle
      --preempt_sleepers)
  set(args_xproc ${args_cursors} --processes)
  set(args_batch ${args_cursors} --batch=8)
  set(args_loan ${args_laps} --loan)
  set(shapes laps cursors batch)
  if(fields MATCHES " lends=1 ")
    list(APPEND shapes loan)
  endif()
  if(fields MATCHES " waits=1 " AND NOT fields MATCHES " wait=busy-spin ")
    list(APPEND shapes trickle)
  endif()
  if(fields MATCHES " wait=blocking ")
    list(APPEND shapes sleepers)
  endif()
  if(fields MATCHES " shareable=1 ")
    list(APPEND shapes xproc)
  endif()
  foreach(shape IN LISTS shapes)
    set(frames ${half})
    set(seconds ${STRESS_SECONDS})
    if(shape MATCHES "^(trickle|sleepers)$")
      set(frames 20000)
    elseif(shape STREQUAL "xproc")
      math(EXPR frames "${half} / 5")
    elseif(shape MATCHES "^(batch|loan)$")
      math(EXPR frames "${half} / 10")
    endif()
    if(shape STREQUAL "sleepers")
      set(seconds 60)
    endif()
    if(fields MATCHES " role=baseline " AND NOT shape MATCHES "^(trickle|sleepers)$")
      math(EXPR frames "${frames} / 10")
    endif()
    set(name stress.${variant}.${shape})
    add_test(${name} "${STRESS}" --variant=${variant} ${args_${shape}} --min_frames=${frames}
             --max_seconds=${seconds} --json=${STRESS_JSON_DIR}/${name}.json)
    set_tests_properties(${name} PROPERTIES LABELS stress RUN_SERIAL TRUE TIMEOUT 600)
  endforeach()
endforeach()
