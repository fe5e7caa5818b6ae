#!/usr/bin/perl
# An OAI-PMH provider that is not Minga's: HTTP::OAI (Debian's
# libhttp-oai-perl) serving an OAI-PMH static repository file over HTTP,
# for oai_test.cc to harvest with `minga harvest`. HTTP::OAI checks each
# request (HTTP::OAI::Repository::validate_request), answers it from the
# file, and writes the response.
#
#   oai_static_provider.pl REPOSITORY.xml PORT
use strict;
use warnings;
use HTTP::Daemon;
use HTTP::Response;
use HTTP::OAI;
use HTTP::OAI::Repository qw(:validate);
use HTTP::OAI::SAX::Driver;
use XML::LibXML::SAX::Builder;
use File::Spec;

my ($repository, $port) = @ARGV;
die "usage: $0 REPOSITORY.xml PORT\n" unless $port;
my $static = HTTP::OAI::Harvester->new(baseURL => 'file:' . File::Spec->rel2abs($repository));
my $daemon = HTTP::Daemon->new(LocalAddr => '127.0.0.1', LocalPort => $port, ReuseAddr => 1)
  or die "cannot listen on 127.0.0.1:$port: $!\n";
print "listening on 127.0.0.1:$port\n";
$| = 1;

while (my $conn = $daemon->accept) {
  while (my $req = $conn->get_request) {
    my %args = $req->uri->query_form;
    my @errors = validate_request(%args);
    my $r;
    if (@errors) {
      $r = HTTP::OAI::Response->new(requestURL => $req->uri->as_string);
      $r->errors(@errors);
    } else {
      my $verb = delete $args{verb};
      $r = $static->$verb(%args);
      if (!$r->can('requestURL')) {  # the file could not be read
        $conn->send_error(500, $r->message);
        next;
      }
      $r->requestURL($req->uri->as_string);
    }
    # A static repository's answer, written as an OAI-PMH 2.0 response.
    $r->version('2.0');
    my $builder = XML::LibXML::SAX::Builder->new;
    my $driver = HTTP::OAI::SAX::Driver->new(Handler => $builder);
    $driver->start_oai_pmh();
    $r->generate($driver);
    $driver->end_oai_pmh();
    my $res = HTTP::Response->new(200, 'OK', ['Content-Type' => 'text/xml; charset=utf-8']);
    $res->content($builder->result->toString);
    $conn->send_response($res);
  }
  $conn->close;
}
