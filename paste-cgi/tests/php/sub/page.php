<?php
echo 'SCRIPT_NAME=', $_SERVER['SCRIPT_NAME'], "\n";
echo 'PATH_INFO=', isset($_SERVER['PATH_INFO']) ? $_SERVER['PATH_INFO'] : '(unset)', "\n";
echo 'FILE=', __FILE__, "\n";
