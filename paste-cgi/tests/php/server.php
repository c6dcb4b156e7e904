<?php
// The variables a script sees, one NAME=value per line; (unset) when not set.
$names = ['REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'SCRIPT_FILENAME',
          'DOCUMENT_ROOT', 'REQUEST_URI', 'QUERY_STRING', 'PHP_SELF',
          'CONTENT_TYPE', 'CONTENT_LENGTH', 'HTTP_X_GREETING', 'HTTP_PROXY',
          'HTTP_AUTHORIZATION', 'GATEWAY_INTERFACE', 'SERVER_SOFTWARE',
          'REDIRECT_STATUS', 'PATH', 'HOME', 'CARGO_MANIFEST_DIR'];
foreach ($names as $name) {
    echo $name, '=', isset($_SERVER[$name]) ? $_SERVER[$name] : '(unset)', "\n";
}
echo 'getenv(HOME)=', getenv('HOME') === false ? '(unset)' : getenv('HOME'), "\n";
echo 'getenv(CARGO_MANIFEST_DIR)=', getenv('CARGO_MANIFEST_DIR') === false ? '(unset)' : 'set', "\n";
echo 'body=', file_get_contents('php://input'), "\n";
echo 'cwd=', getcwd(), "\n";
