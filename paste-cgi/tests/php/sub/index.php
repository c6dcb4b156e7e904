<?php
echo 'SCRIPT_NAME=', $_SERVER['SCRIPT_NAME'], "\n";
echo 'PATH_INFO=', isset($_SERVER['PATH_INFO']) ? $_SERVER['PATH_INFO'] : '(unset)', "\n";
echo 'REQUEST_URI=', $_SERVER['REQUEST_URI'], "\n";
echo 'QUERY_STRING=', $_SERVER['QUERY_STRING'], "\n";
