#!/usr/bin/perl
# Redirects as QUERY_STRING says; after a local redirect (`again`), tells
# how it was called.
use strict;
use warnings;

my $query = $ENV{QUERY_STRING} // '';
my $self = $ENV{SCRIPT_NAME} // '';
(my $dir = $self) =~ s{/[^/]*$}{};

if ($query eq 'absolute') {
    print "Location: http://example.com/elsewhere\n\n";
} elsif ($query eq 'moved') {
    print "Status: 301 Moved Permanently\nLocation: /new/place\nContent-Type: text/plain\n\nmoved\n";
} elsif ($query eq 'local') {
    print "Location: $self/again?again\n\n";
} elsif ($query eq 'sibling') {
    print "Location: $dir/env.sh?from=redirect\n\n";
} elsif ($query eq 'outside') {
    print "Location: /somewhere/else?x=1\n\n";
} elsif ($query eq 'loop') {
    print "Location: $self?loop\n\n";
} else {
    my $method = $ENV{REQUEST_METHOD} // '';
    my $info = $ENV{PATH_INFO} // '';
    my $length = $ENV{CONTENT_LENGTH} // '-';
    my $type = $ENV{CONTENT_TYPE} // '-';
    local $/;
    my $body = <STDIN> // '';
    print "Content-Type: text/plain\n\n";
    print "method=$method path_info=$info query=$query content_length=$length content_type=$type body=", length($body), "\n";
}
