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
for my $path (grep { -f } map { glob } qw(Makefile reference/* derivations/* testsuite/*.[ch]
                                          testsuite/t/*.c testsuite/helpers/*.c fixtures/*
                                          testsuite/adapters/* testsuite/mutants/*)) {
    make_path("$tmp/" . dirname($path));
    copy($path, "$tmp/$path") or die "copy $path: $!\n";
}
# BPCHECK_QUICK skips the 4-second byte-for-byte regeneration of the fixtures: no mutant
# listed here touches the generator, and the mutation run is make check a hundred times over.
# check-fast gives make check's verdict but stops at the first failing program.
# BPCHECK_MUTATE_BASELINE=built: the caller (make check-mutants) has run the unmutated tree's
# check-fast once for every list; each list then only builds its private copy.
my $make = "BPCHECK_QUICK=1 make -C $tmp -s -j2 check-fast >$tmp/log 2>&1";
my $baseline_built = ($ENV{BPCHECK_MUTATE_BASELINE} // '') eq 'built';
my $baseline = $baseline_built ? "make -C $tmp -s -j2 tests >$tmp/log 2>&1" : $make;
print "TAP version 13\n1.." . (@mutants + 1) . "\n";
my $failed = 0;
if (system($baseline) == 0) {
    print "ok 1 - the unmutated tree " . ($baseline_built ? "builds (its make check-fast passed before)"
                                                          : "passes make check-fast") . "\n";
} else {
    print "not ok 1 - the unmutated tree passes make check-fast\n";
    print STDERR "# make check failed before any mutation:\n";
    open my $log, '<', "$tmp/log"; print STDERR "#   $_" while <$log>;
    print "Bail out! nothing to mutate against\n";
    exit 255;
}

my $n = 1;
for my $m (@mutants) {
    $n++;
    my $path = "$tmp/$m->{file}";
    open my $in, '<', $path or die "$m->{file}: $!\n";
    my $orig = do { local $/; <$in> };
    close $in;
    my $count = () = $orig =~ /\Q$m->{old}\E/g;
    if ($count != 1) {
        print "not ok $n - mutant $m->{file}: $m->{what} # pattern found $count times, "
            . "expected once ($m->{list}:$m->{line})\n";
        $failed++;
        next;
    }
    (my $mutated = $orig) =~ s/\Q$m->{old}\E/$m->{new}/;
    open my $out, '>', $path or die "$path: $!\n";
    print $out $mutated;
    close $out;
    my $killed = system($make) != 0;
    open $out, '>', $path or die "$path: $!\n";
    print $out $orig;
    close $out;
    utime undef, undef, $path;    # make rebuilds the restored file
    print(($killed ? "ok" : "not ok") . " $n - mutant $m->{file}: $m->{what} "
        . ($killed ? "is caught by make check" : "SURVIVES make check") . "\n");
    $failed++ unless $killed;
}
exit($failed ? 1 : 0);
