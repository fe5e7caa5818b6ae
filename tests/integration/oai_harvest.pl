#!/usr/bin/perl
# Harvests an OAI-PMH repository with HTTP::OAI (Debian's libhttp-oai-perl),
# a client written apart from Minga, for oai_test.cc. It follows resumption
# tokens itself.
#
#   oai_harvest.pl BASE_URL Identify
#   oai_harvest.pl BASE_URL ListRecords PREFIX [FROM] [SET]
#
# ListRecords prints one line per record: identifier, datestamp, and
# "deleted" or its first dc:title; "error<TAB>code<TAB>message" lines and
# exit 2 for the protocol's errors (noRecordsMatch included).
use strict;
use warnings;
use HTTP::OAI;
use HTTP::OAI::Metadata::OAI_DC;

binmode(STDOUT, ':encoding(UTF-8)');
my ($base, $verb, $prefix, $from, $set) = @ARGV;
die "usage: $0 BASE_URL Identify|ListRecords [PREFIX [FROM [SET]]]\n" unless $verb;
my $h = HTTP::OAI::Harvester->new(baseURL => $base);

sub check {
  my ($r) = @_;
  die "$verb: HTTP " . $r->code . " " . $r->message . "\n" if $r->is_error;
  my @errors = $r->errors;
  return unless @errors;
  print "error\t", $_->code, "\t", $_->message, "\n" for @errors;
  exit 2;
}

if ($verb eq 'Identify') {
  my $r = $h->Identify;
  check($r);
  print "name\t", $r->repositoryName, "\n";
  print "email\t$_\n" for $r->adminEmail;
  print "granularity\t", $r->granularity, "\n";
  print "deleted\t", $r->deletedRecord, "\n";
  exit 0;
}
my %args = (metadataPrefix => $prefix);
$args{from} = $from if defined $from && $from ne '';
$args{set} = $set if defined $set && $set ne '';
# HTTP::OAI follows the resumption tokens itself and hands each record,
# of every page, to onRecord.
my $r = $h->ListRecords(
  %args,
  handlers => {metadata => 'HTTP::OAI::Metadata::OAI_DC'},
  onRecord => sub {
    my ($rec) = @_;
    my $what = $rec->is_deleted ? 'deleted' : ($rec->metadata->dc->{title}[0] // '');
    print join("\t", $rec->identifier, $rec->datestamp, $what), "\n";
  });
check($r);
