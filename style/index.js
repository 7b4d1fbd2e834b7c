import './base.css';
import './schedule.css';
