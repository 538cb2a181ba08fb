package Test::Nginx::Valgrind;

# TEST_NGINX_USE_VALGRIND for ngx_cweb's local Test::Nginx: nginx runs in
# the foreground under valgrind, as a child of the test script, with the
# command line the CPAN module (openresty/test-nginx) builds:
#
#   TEST_NGINX_USE_VALGRIND=<number>   valgrind --num-callers=100 -q
#       --tool=memcheck --leak-check=full --keep-debuginfo=yes
#       --show-possibly-lost=no [--exit-on-first-error=yes --error-exitcode=1]
#       --gen-suppressions=all [--suppressions=valgrind.suppress] nginx ...
#   TEST_NGINX_USE_VALGRIND=<options>  valgrind -q <options> nginx ...
#
# valgrind.suppress is looked up in the current directory, the exit-on-
# first-error options come from TEST_NGINX_VALGRIND_EXIT_ON_FIRST_ERR (number
# mode only).  valgrind's report goes to the inherited stderr unless the
# options say --log-file.  Nothing here judges the report: like the CPAN
# module, the test results do not depend on it (make valgrind does that).

use strict;
use warnings;

use POSIX ();

# Seconds a process under valgrind gets for what takes nginx milliseconds:
# start-up until the port accepts, and a graceful stop incl. the leak check.
our $StartWait = 60;
our $StopWait  = 60;

sub _supports_exit_on_first_error {
    my $help = `valgrind --help 2>/dev/null` // '';
    return $help =~ /exit-on-first-error/;
}

# The valgrind command line wrapped around the nginx command $cmd.
sub command {
    my ($use, $exit_on_first_err, $cmd) = @_;

    return "valgrind -q $use $cmd" if $use !~ /^\d+$/;

    my $opts = '--tool=memcheck --leak-check=full --keep-debuginfo=yes'
               . ' --show-possibly-lost=no';
    if ($exit_on_first_err) {
        if (_supports_exit_on_first_error()) {
            $opts .= ' --exit-on-first-error=yes --error-exitcode=1';
        } else {
            warn "WARNING: valgrind does not support "
                 . "--exit-on-first-error option\n";
        }
    }
    my $supp = -f 'valgrind.suppress'
               ? ' --suppressions=valgrind.suppress' : '';
    return "valgrind --num-callers=100 -q $opts --gen-suppressions=all"
           . "$supp $cmd";
}

# Forks and execs $cmd (nginx under valgrind, "daemon off") in a process
# group of its own, so that a forced stop can take the workers along.
# Returns the child's pid; stdout goes to /dev/null, stderr is inherited.
sub spawn {
    my $cmd = shift;

    my $pid = fork();
    die "fork() failed: $!\n" unless defined $pid;
    return $pid if $pid;

    POSIX::setpgid(0, 0);
    open STDOUT, '>', '/dev/null';
    exec "exec $cmd" or POSIX::_exit(127);
}

1;
