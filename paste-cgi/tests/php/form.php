<?php
// WPHP's test2.php: a query parameter and a form field.
echo "Hello ", $_GET['name'] ?? '(no name)', ", I am ", $_POST['myname'] ?? '(no myname)';
echo "\nmethod=", $_SERVER['REQUEST_METHOD'];
