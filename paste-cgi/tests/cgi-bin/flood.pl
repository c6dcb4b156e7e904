#!/usr/bin/perl
# Floods stderr with about 9 MB (short lines and one 1 MB line without an
# end for a while) before answering: a gateway that does not drain stderr
# concurrently leaves it blocked on a full pipe.
use strict;
use warnings;

$| = 1;
my $line = ("e" x 99) . "\n";
print STDERR "flood-start\n";
print STDERR $line for 1 .. 50_000;
print STDERR "L" x 1_000_000, "\n";
print STDERR $line for 1 .. 30_000;
print STDERR "flood-end\n";
print "Content-Type: text/plain\n\nsurvived\n";
