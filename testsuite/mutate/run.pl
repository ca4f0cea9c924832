#!/usr/bin/perl
# testsuite/mutate/run.pl: mutation testing of the reference. For every line of the lists
# given (testsuite/mutate/*.txt), apply ONE source change to a private copy of the tree, run
# `make check` there, and print a TAP point that passes only if the test suite FAILED: a
# mutant that survives is a bug the tests cannot see. A mutation whose text is not found
# exactly once in its file also fails, so the lists cannot silently rot as the code changes.
#
# List format, one mutation a line, fields separated by " ||| ":
#   file ||| what the mutation is ||| exact text to replace ||| replacement
# or, for a mutation of the code that implements one equation (testsuite/mutate/equations.txt),
#   file ||| what ||| text ||| replacement ||| ID[,ID...]
# where the IDs are EXACTLY the equations whose checks must fail in `bpcheck derivations`, in
# the catalogue's order: the equation mutated and the checks that depend on it. Such a mutant passes only if that
# set of checks fails and every other check still passes (a failing set that is too large
# means a check that does not test its own equation; too small, one that cannot see it).
# Blank lines and lines starting with # are ignored.
use strict;
use warnings;
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use POSIX ();
use Fcntl qw(:flock);
use File::Path qw(make_path);
use File::Basename qw(dirname);
use Time::HiRes ();

my @lists = @ARGV or die "usage: $0 LIST.txt...\n";
my @mutants;
for my $list (@lists) {
    open my $fh, '<', $list or die "$list: $!\n";
    while (my $line = <$fh>) {
        chomp $line;
        next if $line =~ /^\s*(#|$)/;
        my @f = split / \|\|\| /, $line, -1;
        die "$list:$.: expected 4 or 5 fields separated by ' ||| ', got " . scalar(@f) . "\n"
            unless @f == 4 || @f == 5;
        if (@f == 5) {    # equation mutants may span lines: \n in their text is a newline
            s/\\n/\n/g for @f[2, 3];
        }
        push @mutants, { list => $list, line => $., file => $f[0], what => $f[1],
                         old => $f[2], new => $f[3], ids => $f[4] };
    }
}

# A private copy of everything make check needs; built once so each mutant recompiles little.
my $tmp = tempdir('bpcheck-mutate-XXXXXX', TMPDIR => 1, CLEANUP => 1);
for my $path (grep { -f } map { glob } qw(Makefile README.md reference/* derivations/* doc/*
                                          testsuite/*.[ch] testsuite/*.md testsuite/lib/* testsuite/t/*.c
                                          testsuite/tap/* testsuite/oracles/* testsuite/bugs/* testsuite/conform/*
                                          testsuite/helpers/*.c fixtures/* testsuite/adapters/* testsuite/adapters/old/*
                                          testsuite/mutants/* testsuite/mutate/* testsuite/python/*
                                          testsuite/python/bpcheck/* testsuite/python/tests/*)) {
    make_path("$tmp/" . dirname($path));
    copy($path, "$tmp/$path") or die "copy $path: $!\n";
    utime((stat $path)[8, 9], "$tmp/$path"); # its time too: make then trusts what is built below
}
# BPCHECK_MUTATE_REUSE (make check-mutants sets it when its build is build/ and bin/, made just
# before): that build copied too, times kept, so the copy's make has nothing to redo rather
# than compile every file again (24 s at -j2). The other builds under build/ are not copied.
if ($ENV{BPCHECK_MUTATE_REUSE}) {
    my @built = grep { !m{^build/(sanitize|openblas|coverage|bench-cases|fuzz)$} } glob("build/*");
    make_path("$tmp/build");
    system("cp", "-a", @built, "$tmp/build/") == 0 && system("cp", "-a", "bin", "$tmp/") == 0
        or die "cannot copy the build into the private tree\n";
}
# BPCHECK_QUICK skips the 4-second byte-for-byte regeneration of the fixtures: no mutant
# listed here touches the generator, and the mutation run is make check a hundred times over.
# check-fast gives make check's verdict but stops at the first failing program.
# The unmutated copy must pass check-fast first: a file missing from the copy would otherwise
# make every mutant look caught. (BPCHECK_MUTATE_BASELINE=built only builds it, for a quick
# look at a list by hand; make check-mutants never sets it.)
print "TAP version 13\n1.." . (@mutants + 1) . "\n";
my $failed = 0;
# Build the copy, then copy the built tree for the second worker.
if (system("make -C $tmp -s -j2 tests >$tmp/log 2>&1") != 0) {
    print "not ok 1 - the unmutated tree builds\n";
    open my $log, '<', "$tmp/log"; print STDERR "#   $_" while <$log>;
    print "Bail out! nothing to mutate against\n";
    exit 255;
}

# Two private trees, two workers (BPCHECK_MUTATE_WORKERS, default 2): the mutants split
# between them, each tree running its own check-fast, so both cores work; the verdicts are
# printed in the lists' order once both are done. Worker 0 first runs check-fast on its tree
# unmutated (the baseline) while worker 1 already runs mutants; their verdicts count only if
# the baseline passes.
my $workers = $ENV{BPCHECK_MUTATE_WORKERS} // 2;
$workers = 1 if $workers < 1;
my @trees = ($tmp);
for my $w (2 .. $workers) {
    my $t = tempdir('bpcheck-mutate-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    system("cp -a '$tmp/.' '$t/'") == 0 or die "cannot copy the tree for worker $w\n";
    push @trees, $t;
}
my $baseline_built = ($ENV{BPCHECK_MUTATE_BASELINE} // '') eq 'built';

# One mutant in tree $t: 'ok' (caught), 'not ok' (survives) or the pattern's complaint.
sub try_mutant {
    my ($m, $t) = @_;
    my $path = "$t/$m->{file}";
    open my $in, '<', $path or die "$m->{file}: $!\n";
    my $orig = do { local $/; <$in> };
    close $in;
    my $count = () = $orig =~ /\Q$m->{old}\E/g;
    return "not ok\tmutant $m->{file}: $m->{what} # pattern found $count times, expected once "
        . "($m->{list}:$m->{line})" if $count != 1;
    (my $mutated = $orig) =~ s/\Q$m->{old}\E/$m->{new}/;
    open my $out, '>', $path or die "$path: $!\n";
    print $out $mutated;
    close $out;
    my $jobs = @trees > 1 ? 1 : 2;
    my ($verdict, $text);
    if (defined $m->{ids}) {
        my @got = equations_failing($t, $jobs);
        my $got = join ',', @got;
        (my $want = $m->{ids}) =~ s/\s+//g;
        $verdict = $got eq $want ? "ok" : "not ok";
        $text = "equation mutant $m->{what}: "
            . ($got eq $want ? "fails exactly $want" : "fails {$got}, expected {$want}");
    } else {
        my $t0 = Time::HiRes::time();
        # WERROR= as for the equation mutants: under CI's -Werror a mutant that leaves a variable
        # unused was "caught" by the compiler, not by a test (17 of the 162 were)
        my $killed = system("BPCHECK_QUICK=1 make -C $t -s -j$jobs check-fast WERROR= >$t/log 2>&1") != 0;
        my $secs = Time::HiRes::time() - $t0;
        # check-fast's last line names the program that failed ("t/NAME fails" or "does not build")
        my $by = '';
        if ($killed && open my $lg, '<', "$t/log") {
            while (<$lg>) { $by = "t/$1" if /^(\S+ (?:fails|does not build))$/ }
            close $lg;
        }
        $verdict = $killed ? "ok" : "not ok";
        $text = "mutant $m->{file}: $m->{what} "
            . ($killed ? "is caught by make check" : "SURVIVES make check")
            . sprintf(" (%s%.1f s)", $by ne '' ? "$by, " : '', $secs);
    }
    open $out, '>', $path or die "$path: $!\n";
    print $out $orig;
    close $out;
    utime undef, undef, $path;    # make rebuilds the restored file
    return "$verdict\t$text";
}

# The IDs of the non-TODO failing points of `bpcheck derivations` in tree $t, in the
# catalogue's order (a build failure or a crash: the single pseudo-ID "(build)" or "(crash)").
sub equations_failing {
    my ($t, $jobs) = @_;
    # warnings are not errors here: a mutant that leaves a parameter unused must still run
    return ("(build)") if system("make -C $t -s -j$jobs bin/bpcheck WERROR= >$t/log 2>&1") != 0;
    my @ids;
    open my $tap, '-|', "$t/bin/bpcheck derivations 2>&1" or return ("(crash)");
    my $plan = 0;
    while (<$tap>) {
        $plan = 1 if /^1\.\.\d+/;
        push @ids, $1 if /^not ok \d+ - (\S+) / && !/# TODO/;
    }
    close $tap;
    return ("(crash)") unless $plan;    # no plan: the checks did not run to the end
    return @ids;
}

# The index of the next mutant to run, shared by the workers through a locked file.
my $next = "$tmp/next-mutant";
{ open my $fh, '>', $next or die "$next: $!\n"; print $fh "0"; close $fh; }
sub claim {
    open my $fh, '+<', $next or die "$next: $!\n";
    flock($fh, LOCK_EX) or die "flock: $!\n";
    my $i = <$fh> // 0;
    seek($fh, 0, 0);
    truncate($fh, 0);
    print $fh $i + 1;
    close $fh;    # releases the lock
    return $i;
}

my @pids;
for my $w (0 .. $#trees) {
    my $pid = fork();
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        open my $res, '>', "$trees[$w]/verdicts" or die "verdicts: $!\n";
        if ($w == 0 && !$baseline_built) {
            my $ok = system("BPCHECK_QUICK=1 make -C $trees[0] -s -j1 check-fast "
                            . ">$trees[0]/baseline.log 2>&1") == 0;
            print $res "baseline\t" . ($ok ? "ok" : "not ok") . "\n";
            if (!$ok) {
                close $res;
                POSIX::_exit(0);
            }
        }
        # each worker takes the next mutant no one has taken: worker 0 runs the baseline first,
        # and the other does not wait for it with half the list left
        while ((my $i = claim()) < @mutants) {
            print $res "$i\t" . try_mutant($mutants[$i], $trees[$w]) . "\n";
        }
        close $res;
        POSIX::_exit(0);    # not exit: the parent's temporary trees must outlive the worker
    }
    push @pids, $pid;
}
waitpid($_, 0) for @pids;
my (@verdict, $baseline);
for my $t (@trees) {
    open my $res, '<', "$t/verdicts" or die "a worker left no verdicts\n";
    while (<$res>) {
        chomp;
        my ($i, $ok, $text) = split /\t/, $_, 3;
        if ($i eq 'baseline') {
            $baseline = $ok;
            next;
        }
        $verdict[$i] = [$ok, $text];
    }
}
if ($baseline_built) {
    print "ok 1 - the unmutated tree builds (BPCHECK_MUTATE_BASELINE=built: not run)\n";
} elsif (($baseline // '') eq 'ok') {
    print "ok 1 - the unmutated tree passes make check-fast\n";
} else {
    print "not ok 1 - the unmutated tree passes make check-fast\n";
    print STDERR "# make check failed before any mutation:\n";
    open my $log, '<', "$trees[0]/baseline.log"; print STDERR "#   $_" while <$log>;
    print "Bail out! nothing to mutate against\n";
    exit 255;
}
for my $i (0 .. $#mutants) {
    my ($ok, $text) = @{ $verdict[$i] // ['not ok', "mutant $mutants[$i]{what}: no verdict"] };
    print "$ok " . ($i + 2) . " - $text\n";
    $failed++ if $ok ne 'ok';
}
exit($failed ? 1 : 0);
