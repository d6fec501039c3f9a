# make uninstall (cmake -DLUNET_BUILD_DIR=BUILD -P cmake/uninstall.cmake):
# removes the files of BUILD/install_manifest.txt under the DESTDIR of the
# install that wrote it (the manifest's paths leave it out; $DESTDIR, when
# set, wins), then the directories that install_dirs.cmake saw the install
# create, deepest first and only when empty (rmdir), so a directory that
# holds anything else stays.  The manifest goes too.
set(manifest "${LUNET_BUILD_DIR}/install_manifest.txt")
if(NOT EXISTS "${manifest}")
  message(FATAL_ERROR "nothing to uninstall: no ${manifest} (make install writes it)")
endif()
set(destdir "$ENV{DESTDIR}")
if(destdir STREQUAL "" AND EXISTS "${LUNET_BUILD_DIR}/install_destdir.txt")
  file(READ "${LUNET_BUILD_DIR}/install_destdir.txt" destdir)
endif()
file(STRINGS "${manifest}" files)
foreach(f IN LISTS files)
  set(f "${destdir}${f}")
  if(EXISTS "${f}" OR IS_SYMLINK "${f}")
    message(STATUS "Removing: ${f}")
    file(REMOVE "${f}")
  endif()
endforeach()
# Done with: a second uninstall finds nothing to do, rather than the same
# paths without the DESTDIR, where another install may live.
file(REMOVE "${manifest}" "${LUNET_BUILD_DIR}/install_destdir.txt")

set(list_file "${LUNET_BUILD_DIR}/install_dirs.txt")
if(EXISTS "${list_file}")
  file(STRINGS "${list_file}" dirs)
  # A parent sorts before its children: reversed, children come first.
  list(SORT dirs)
  list(REVERSE dirs)
  set(kept "")
  foreach(d IN LISTS dirs)
    if(IS_DIRECTORY "${d}")
      execute_process(COMMAND rmdir "${d}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
      if(rc EQUAL 0)
        message(STATUS "Removing: ${d}/")
      else()
        list(APPEND kept "${d}")        # not empty: someone else's files
      endif()
    endif()
  endforeach()
  if(kept)
    string(REPLACE ";" "\n" text "${kept}")
    file(WRITE "${list_file}" "${text}\n")
  else()
    file(REMOVE "${list_file}")
  endif()
endif()
