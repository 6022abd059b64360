# Sets RINGLAB_VERSION ("MAJOR.MINOR.PATCH") from variants/ringlab/version.hpp,
# the one place the version is written; included before project().
set(RINGLAB_VERSION "")
foreach(part MAJOR MINOR PATCH)
  file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/../variants/ringlab/version.hpp line
       REGEX "^#define RINGLAB_VERSION_${part} +[0-9]+$")
  if(NOT line MATCHES "([0-9]+)$")
    message(FATAL_ERROR "variants/ringlab/version.hpp has no '#define RINGLAB_VERSION_${part} <n>'")
  endif()
  list(APPEND RINGLAB_VERSION ${CMAKE_MATCH_1})
endforeach()
list(JOIN RINGLAB_VERSION "." RINGLAB_VERSION)
