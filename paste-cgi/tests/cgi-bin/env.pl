#!/usr/bin/perl
# Echoes its arguments, working directory and environment, one NAME=value
# a line, sorted. The head ends its lines with CRLF.
use strict;
use warnings;
use Cwd qw(getcwd);

print "Content-Type: text/plain\r\n";
print "X-Program: perl\r\n";
print "\r\n";
print "ARGC=", scalar(@ARGV), "\n";
print "ARG0=$0\n";
print "CWD=", getcwd(), "\n";
for my $name (sort keys %ENV) {
    print "$name=$ENV{$name}\n";
}
