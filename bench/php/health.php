<?php
// GET /health for the php-fpm baseline: same JSON as ragd, nothing else.
header('Content-Type: application/json');
$now = DateTime::createFromFormat('U.u', sprintf('%.6F', microtime(true)));
echo json_encode([
    'status' => 'healthy',
    'timestamp' => $now->format('Y-m-d\TH:i:s.u\Z'),
]);
