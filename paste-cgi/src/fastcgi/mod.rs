//! FastCGI (to be written): the record protocol, a client app, a server,
//! and a PHP app on top of the client.
