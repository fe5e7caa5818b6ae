# The Debian package (cpack -G DEB in the build directory): both programs,
# the systemd unit, the packaged config under /etc/minga, and the docs and
# examples. scripts/package.sh builds it and checks it with lintian and
# systemd-analyze.
set(MINGA_DEB_DIR ${PROJECT_SOURCE_DIR}/config/debian)

install(TARGETS minga-node minga RUNTIME DESTINATION usr/bin)
install(FILES ${PROJECT_SOURCE_DIR}/config/systemd/minga-node.service
        DESTINATION lib/systemd/system)
install(FILES ${MINGA_DEB_DIR}/node.textproto DESTINATION etc/minga)
install(FILES ${MINGA_DEB_DIR}/copyright ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION usr/share/doc/minga)
install(FILES ${PROJECT_SOURCE_DIR}/config/node.example.textproto
              ${PROJECT_SOURCE_DIR}/config/federation.example.textproto
        DESTINATION usr/share/doc/minga/examples)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION usr/share/doc/minga/docs)
# Debian wants the changelog compressed, with no timestamp in the gzip header.
set(MINGA_CHANGELOG_GZ ${CMAKE_CURRENT_BINARY_DIR}/changelog.gz)
add_custom_command(OUTPUT ${MINGA_CHANGELOG_GZ}
                   COMMAND gzip -9nc ${MINGA_DEB_DIR}/changelog > ${MINGA_CHANGELOG_GZ}
                   DEPENDS ${MINGA_DEB_DIR}/changelog)
add_custom_target(minga_changelog ALL DEPENDS ${MINGA_CHANGELOG_GZ})
install(FILES ${MINGA_CHANGELOG_GZ} DESTINATION usr/share/doc/minga)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME minga)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "Minga maintainers <maintainers@minga.invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "federated catalog and content sync daemon")
# The extended description; CPack indents it and takes the synopsis from
# the summary above.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Minga keeps a regional collection of knowledge materials in sync between
the organisations that share it. Each organisation runs a node holding its
catalog; nodes pull their partners' shared materials and files over mutual
TLS, with signed revisions, audiences that confine a material to the
partners it was shared with, and retractions that reach every node.

This package holds the node (minga-node, run as the minga-node systemd
service), the minga administration client, and example configs.")
# Library dependencies from dpkg-shlibdeps; adduser for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${MINGA_DEB_DIR}/postinst ${MINGA_DEB_DIR}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
