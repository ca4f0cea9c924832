#!/usr/bin/perl
# testsuite/mutate/run.pl: mutation testing of the reference. For every line of the lists
# given (testsuite/mutate/*.txt), apply ONE source change to a private copy of the tree, run
# `make check` there, and print a TAP point that passes only if the test suite FAILED: a
# mutant that survives is a bug the tests cannot see. A mutation whose text is not found
# exactly once in its file also fails, so the lists cannot silently rot as the code changes.
#
# List format, one mutation a line, fields separated by " ||| ":
#   file ||| what the mutation is ||| exact text to replace ||| replacement
# Blank lines and lines starting with # are ignored.
use strict;
use warnings;
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use POSIX ();
use File::Path qw(make_path);
use File::Basename qw(dirname);

my @lists = @ARGV or die "usage: $0 LIST.txt...\n";
my @mutants;
for my $list (@lists) {
    open my $fh, '<', $list or die "$list: $!\n";
    while (my $line = <$fh>) {
        chomp $line;
        next if $line =~ /^\s*(#|$)/;
        my @f = split / \|\|\| /, $line, -1;
        die "$list:$.: expected 4 fields separated by ' ||| ', got " . scalar(@f) . "\n"
            unless @f == 4;
        push @mutants, { list => $list, line => $., file => $f[0], what => $f[1],
                         old => $f[2], new => $f[3] };
    }
}

# A private copy of everything make check needs; built once so each mutant recompiles little.
my $tmp = tempdir('bpcheck-mutate-XXXXXX', TMPDIR => 1, CLEANUP => 1);
for my $path (grep { -f } map { glob } qw(Makefile README.md reference/* derivations/* doc/*
                                          testsuite/*.[ch] testsuite/*.md testsuite/lib/* testsuite/t/*.c
                                          testsuite/helpers/*.c fixtures/* testsuite/adapters/*
                                          testsuite/mutants/*)) {
    make_path("$tmp/" . dirname($path));
    copy($path, "$tmp/$path") or die "copy $path: $!\n";
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
    my $killed = system("BPCHECK_QUICK=1 make -C $t -s -j$jobs check-fast >$t/log 2>&1") != 0;
    open $out, '>', $path or die "$path: $!\n";
    print $out $orig;
    close $out;
    utime undef, undef, $path;    # make rebuilds the restored file
    return ($killed ? "ok" : "not ok") . "\tmutant $m->{file}: $m->{what} "
        . ($killed ? "is caught by make check" : "SURVIVES make check");
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
        for my $i (grep { $_ % @trees == $w } 0 .. $#mutants) {
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
