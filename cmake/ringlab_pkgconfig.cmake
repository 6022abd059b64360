# ringlab.pc, installed beside the CMake package in <libdir>: the Abseil
# modules it requires are per-architecture, and so is where they live.
#
# The file finds its prefix from its own place (${pcfiledir}), so a tree
# installed with `cmake --install --prefix` or moved afterwards still names
# its own headers. -pthread is for the threads the library's waits and
# rings are used from (libpthread on glibc before 2.34); segments are opened
# under /dev/shm with open(2), so no -lrt.
set(pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(RINGLAB_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH up "/p/${pc_dir}" "/p")
  string(REGEX REPLACE "/$" "" up "${up}")
  set(RINGLAB_PC_PREFIX "\${pcfiledir}/${up}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(RINGLAB_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(RINGLAB_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/ringlab.pc.in ${CMAKE_CURRENT_BINARY_DIR}/ringlab.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ringlab.pc DESTINATION ${pc_dir})
