# nf_stage(NAME [DEPS stage...] HEADERS header... [LIBS lib...])
#   One pipeline stage: the static library nnfirm_NAME from src/NAME/*.c.
#   DEPS are stages defined before it (a later one is refused here: that
#   would be a back edge). The stage compiles against
#   <build>/stage-include/NAME/nnfirm/, which holds links to its own HEADERS
#   and to the headers of every stage below it, and to nothing else.
# nf_stage_check()
#   After the last stage: the aggregate library `nnfirm` (every stage, the
#   whole include/ directory, for cli/, tests, bench and fuzz) and the symbol
#   check of cmake/check-layering.sh, which every user of `nnfirm` waits for;
#   and the shared library `nnfirm_shared` (<build>/libnnfirm.so: every stage
#   linked whole, for the Python package in python/). Stage objects are
#   position-independent for it.
set(NF_STAGES "" CACHE INTERNAL "")
# The stages that have a library (a stage without sources has none), in
# order: what a stage links and what the aggregate holds.
set(NF_STAGE_LIBS "" CACHE INTERNAL "")

function(nf_stage name)
  cmake_parse_arguments(S "" "" "DEPS;HEADERS;LIBS" ${ARGN})
  set(closure ${S_DEPS})
  set(headers ${S_HEADERS})
  foreach(dep ${S_DEPS})
    if(NOT dep IN_LIST NF_STAGES)
      message(FATAL_ERROR "stage ${name}: '${dep}' is not a stage below it (stages so far: ${NF_STAGES}); "
                          "a stage may build only on the stages before it in src/CMakeLists.txt")
    endif()
    get_property(dep_closure GLOBAL PROPERTY NF_STAGE_CLOSURE_${dep})
    get_property(dep_headers GLOBAL PROPERTY NF_STAGE_HEADERS_${dep})
    list(APPEND closure ${dep_closure})
    list(APPEND headers ${dep_headers})
  endforeach()
  list(REMOVE_DUPLICATES closure)
  list(REMOVE_DUPLICATES headers)
  set_property(GLOBAL PROPERTY NF_STAGE_CLOSURE_${name} ${closure})
  set_property(GLOBAL PROPERTY NF_STAGE_HEADERS_${name} ${headers})

  set(inc ${CMAKE_BINARY_DIR}/stage-include/${name})
  file(REMOVE_RECURSE ${inc})
  file(MAKE_DIRECTORY ${inc}/nnfirm)
  foreach(h ${headers})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/include/nnfirm/${h} ${inc}/nnfirm/${h} SYMBOLIC)
  endforeach()

  set(NF_STAGES ${NF_STAGES} ${name} CACHE INTERNAL "")
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.c)
  if(NOT srcs)
    return() # a stage still without sources (its headers are reserved)
  endif()
  add_library(nnfirm_${name} STATIC ${srcs})
  set_target_properties(nnfirm_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_include_directories(nnfirm_${name} PRIVATE ${inc} ${CMAKE_CURRENT_SOURCE_DIR}/${name})
  set(dep_libs "")
  foreach(dep ${S_DEPS})
    if(nnfirm_${dep} IN_LIST NF_STAGE_LIBS)
      list(APPEND dep_libs nnfirm_${dep})
    endif()
  endforeach()
  set(NF_STAGE_LIBS ${NF_STAGE_LIBS} nnfirm_${name} CACHE INTERNAL "")
  target_link_libraries(nnfirm_${name} PUBLIC ${dep_libs} ${S_LIBS})
  string(REPLACE ";" "," deps_c "${closure}")
  set_property(GLOBAL APPEND PROPERTY NF_STAGE_ARGS "${name}:$<TARGET_FILE:nnfirm_${name}>:${deps_c}")
endfunction()

function(nf_stage_check)
  set(libs ${NF_STAGE_LIBS})
  get_property(args GLOBAL PROPERTY NF_STAGE_ARGS)
  set(stamp ${CMAKE_BINARY_DIR}/layering.ok)
  add_custom_command(OUTPUT ${stamp}
    COMMAND sh ${CMAKE_SOURCE_DIR}/cmake/check-layering.sh ${CMAKE_NM} ${stamp} ${args}
    DEPENDS ${libs} ${CMAKE_SOURCE_DIR}/cmake/check-layering.sh
    COMMENT "Checking the stage layering (symbols)" VERBATIM)
  add_custom_target(nnfirm_layering DEPENDS ${stamp})
  add_library(nnfirm INTERFACE)
  target_include_directories(nnfirm INTERFACE ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(nnfirm INTERFACE ${libs})
  add_dependencies(nnfirm nnfirm_layering)
  # libnnfirm.so: the objects of every stage (all of them, not only those a
  # caller pulls in); linking the stage libraries after them adds only their
  # external libraries (every nf_ symbol is already defined by the objects).
  set(objs "")
  foreach(l ${libs})
    list(APPEND objs $<TARGET_OBJECTS:${l}>)
  endforeach()
  add_library(nnfirm_shared SHARED ${objs})
  set_target_properties(nnfirm_shared PROPERTIES OUTPUT_NAME nnfirm LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}
                                                 LINKER_LANGUAGE C)
  target_link_libraries(nnfirm_shared PRIVATE ${libs})
  add_dependencies(nnfirm_shared nnfirm_layering)
endfunction()
