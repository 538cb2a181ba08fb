#!/bin/sh
# t/plugins/oldabi-cc.sh: a cweb_cc that builds against a copy of the
# host's headers whose CWEB_ABI_VERSION is 999, as a plugin built for
# another release of the host would be
inc=
for a; do
    case $a in -I*) inc=${a#-I} ;; esac
done
tmp=$(mktemp -d) || exit 1
cp -r "$inc"/. "$tmp"/
sed -i 's/^#define CWEB_ABI_VERSION  .*/#define CWEB_ABI_VERSION  999/' \
    "$tmp/cweb.h"
for a; do
    shift
    case $a in
        -I"$inc") set -- "$@" "-I$tmp" ;;
        "$inc"/cweb_entry.c) set -- "$@" "$tmp/cweb_entry.c" ;;
        *) set -- "$@" "$a" ;;
    esac
done
cc "$@"
rc=$?
rm -rf "$tmp"
exit $rc
