# ringlab_read_version(<header> <var>): sets <var> to "MAJOR.MINOR.PATCH" as
# <header> (a ringlab/version.hpp) defines it, or fails. The root CMakeLists.txt
# reads variants/ringlab/version.hpp with it before project(), so the header is
# the one place the version is written; the install test reads the installed copy.
function(ringlab_read_version header var)
  set(version "")
  foreach(part MAJOR MINOR PATCH)
    file(STRINGS ${header} line REGEX "^#define RINGLAB_VERSION_${part} +[0-9]+$")
    list(LENGTH line found)
    if(NOT found EQUAL 1 OR NOT line MATCHES "([0-9]+)$")
      message(FATAL_ERROR "${header}: want one '#define RINGLAB_VERSION_${part} <n>', found ${found}")
    endif()
    list(APPEND version ${CMAKE_MATCH_1})
  endforeach()
  list(JOIN version "." version)
  set(${var} ${version} PARENT_SCOPE)
endfunction()
