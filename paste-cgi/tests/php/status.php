<?php
header('X-Custom: yes');
header('Content-Type: text/plain; charset=utf-8');
http_response_code(418);
echo "I'm a teapot";
