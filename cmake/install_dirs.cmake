# Run by `cmake --install` before anything is copied.  For
# uninstall.cmake, it notes in BUILD/install_dirs.txt each directory this
# install is about to create (the destinations and their missing parents,
# DESTDIR included), so that the directories lunet made go and none that
# was there before (Debian ships an empty /usr/local/share/man, for one);
# and in BUILD/install_destdir.txt the DESTDIR, which install_manifest.txt
# leaves out of its paths.
# Set by install(CODE) in CMakeLists.txt: LUNET_BUILD_DIR, LUNET_DEST_DIRS.
file(WRITE "${LUNET_BUILD_DIR}/install_destdir.txt" "$ENV{DESTDIR}")
set(list_file "${LUNET_BUILD_DIR}/install_dirs.txt")
set(created "")
if(EXISTS "${list_file}")
  file(STRINGS "${list_file}" created)
endif()
foreach(rel IN LISTS LUNET_DEST_DIRS)
  if(IS_ABSOLUTE "${rel}")
    set(d "$ENV{DESTDIR}${rel}")
  else()
    set(d "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${rel}")
  endif()
  file(TO_CMAKE_PATH "${d}" d)
  string(REGEX REPLACE "/+$" "" d "${d}")
  while(d AND NOT IS_DIRECTORY "${d}")
    list(APPEND created "${d}")
    get_filename_component(d "${d}" DIRECTORY)
  endwhile()
endforeach()
list(REMOVE_DUPLICATES created)
if(created)
  string(REPLACE ";" "\n" text "${created}")
  file(WRITE "${list_file}" "${text}\n")
endif()
