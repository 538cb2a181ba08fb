#!/bin/sh
# t/plugins/slowcc.sh: a cweb_cc that takes 3 s before compiling
sleep 3
exec cc "$@"
