<?php
$data = file_get_contents('php://input');
echo strlen($data), ' ', hash('sha256', $data), ' ', $_SERVER['CONTENT_LENGTH'] ?? '(unset)';
